import { parseAuctionRecord } from '../../../../domain/auction-record.js';
import type { EventEnvelope } from '../../../../domain/events.js';
import type { BuyNowCommand, BuyNowOutcome } from '../../../../ports/auction-store.js';
import type { RedisClient } from '../../client.js';
import { deciding, RUN_KEPT_SECONDS } from '../../lua-script.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './buy-now.lua';

const script = luaScript('buyNow', source);

export interface BuyNowArgs extends BuyNowCommand {
  rateLimit: { max: number; windowMs: number };
  eventLogLength: number;
  idempotencyTtlSeconds: number;
}

type RawReply = { now: number; replayed?: boolean } & (
  | { ok: true; events: EventEnvelope<{ state: Record<string, string> }>[] }
  | { ok: false; code: 'rate_limited'; retryAfterMs: number }
  | {
      ok: false;
      code:
        | 'auction_not_found'
        | 'idempotency_key_reused'
        | 'seller_cannot_bid'
        | 'auction_not_open'
        | 'auction_closed'
        | 'buy_now_unavailable';
    }
);

/** A never-written key of the same slot stands in for the idempotency key when the request has none. */
const NO_IDEMPOTENCY_KEY = '-';

export async function runBuyNow(redis: RedisClient, args: BuyNowArgs): Promise<BuyNowOutcome> {
  const keys = auctionKeys(args.auctionId);
  const raw = await deciding(
    script.runJson<RawReply>(
      redis,
      [
        keys.state,
        keys.events,
        keys.outbox,
        keys.rateLimit(args.buyerId),
        keys.idempotency(args.buyerId, args.idempotency?.key ?? NO_IDEMPOTENCY_KEY),
        keys.run(args.requestId),
      ],
      [
        args.buyerId,
        args.idempotency?.fingerprint ?? '',
        args.rateLimit.max,
        args.rateLimit.windowMs,
        args.eventLogLength,
        args.idempotencyTtlSeconds,
        RUN_KEPT_SECONDS,
      ],
    ),
  );
  const common = { now: raw.now, replayed: raw.replayed === true };
  if (raw.ok) {
    const event = raw.events[0] as EventEnvelope<{ state: Record<string, string> }>;
    return { ...common, ok: true, state: parseAuctionRecord(event.payload.state), event };
  }
  if (raw.code === 'rate_limited')
    return { ...common, ok: false, code: raw.code, retryAfterMs: raw.retryAfterMs };
  return { ...common, ok: false, code: raw.code };
}
