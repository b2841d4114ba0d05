import { type BidRecord, parseAuctionRecord, parseBidRecord } from '../../../../domain/auction-record.js';
import type { EventEnvelope } from '../../../../domain/events.js';
import type { BidCommand, BidRefusalCode, PlaceBidOutcome } from '../../../../ports/auction-store.js';
import type { RedisClient } from '../../client.js';
import { deciding, RUN_KEPT_SECONDS } from '../../lua-script.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './place-bid.lua';

const script = luaScript('placeBid', source);

export interface PlaceBidArgs extends BidCommand {
  rateLimit: { max: number; windowMs: number };
  eventLogLength: number;
  idempotencyTtlSeconds: number;
  recentBidsKept: number;
}

type RawEvent = EventEnvelope<{ state: Record<string, string>; bid?: BidRecord }>;

type RawReply = { now: number; replayed?: boolean } & (
  | {
      ok: true;
      events: RawEvent[];
      extended: boolean;
      /** Present on proxy-bidding replies; else the bid is the one event's. */
      bid?: BidRecord;
      outbid?: boolean;
      maxRaised?: boolean;
    }
  | { ok: false; code: 'auction_not_found' | 'idempotency_key_reused' }
  | { ok: false; code: 'rate_limited'; retryAfterMs: number }
  | { ok: false; code: BidRefusalCode }
  | { ok: false; code: 'bid_too_low'; minimumBid: string }
  | { ok: false; code: 'above_ceiling'; field: 'amount' | 'maxAmount'; maximumBid: string }
);

/** A never-written key of the same slot stands in for the idempotency key when the request has none. */
const NO_IDEMPOTENCY_KEY = '-';

export async function runPlaceBid(redis: RedisClient, args: PlaceBidArgs): Promise<PlaceBidOutcome> {
  const keys = auctionKeys(args.auctionId);
  const raw = await deciding(
    script.runJson<RawReply>(
      redis,
      [
        keys.state,
        keys.bids,
        keys.events,
        keys.outbox,
        keys.rateLimit(args.bidderId),
        keys.idempotency(args.bidderId, args.idempotency?.key ?? NO_IDEMPOTENCY_KEY),
        keys.run(args.bidId),
      ],
      [
        args.bidderId,
        String(args.amount),
        args.bidId,
        args.idempotency?.fingerprint ?? '',
        args.rateLimit.max,
        args.rateLimit.windowMs,
        args.eventLogLength,
        args.idempotencyTtlSeconds,
        args.recentBidsKept,
        args.maxAmount == null ? '' : String(args.maxAmount),
        args.idempotency?.key ?? '',
        RUN_KEPT_SECONDS,
      ],
    ),
  );
  const common = { now: raw.now, replayed: raw.replayed === true };
  if (raw.ok) {
    const first = raw.events[0] as RawEvent;
    const last = raw.events.at(-1) as RawEvent;
    return {
      ...common,
      ok: true,
      state: parseAuctionRecord(last.payload.state),
      bid: parseBidRecord((raw.bid ?? first.payload.bid) as BidRecord),
      event: last,
      events: raw.events,
      extended: raw.extended,
      outbid: raw.outbid === true,
      maxRaised: raw.maxRaised === true,
    };
  }
  switch (raw.code) {
    case 'auction_not_found':
    case 'idempotency_key_reused':
      return { ...common, ok: false, code: raw.code };
    case 'rate_limited':
      return { ...common, ok: false, code: raw.code, retryAfterMs: raw.retryAfterMs };
    case 'above_ceiling':
      return { ...common, ok: false, code: raw.code, field: raw.field, maximumBid: Number(raw.maximumBid) };
    case 'bid_too_low':
      return {
        ...common,
        ok: false,
        code: raw.code,
        minimumBid: Number(raw.minimumBid),
      };
    default:
      return { ...common, ok: false, code: raw.code };
  }
}
