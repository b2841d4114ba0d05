import type { Bid } from '../../../../domain/auction.js';
import type { AuctionEventPayload, EventEnvelope } from '../../../../domain/events.js';
import type { ArchivedDecision } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import restoreSource from './restore-auction.lua';

// One idempotency key per archived decision after the fixed keys: a variable number of keys.
const restoreScript = luaScript('restoreAuction', restoreSource, 'variable');

/** What place-bid.lua puts on a keyed decision's last event (`payload.idempotency`). */
interface BidDecisionMark {
  reply?: { outbid: boolean; maxRaised: boolean; bid?: Record<string, unknown> };
}

/** API.md keeps an Idempotency-Key decision for 24 h (as RedisAuctionStore's default). */
const DECISION_LIFETIME_SECONDS = 24 * 60 * 60;

export interface RestoreAuctionArgs {
  record: Record<string, string>;
  /** Newest first. */
  bids: Bid[];
  /** Oldest first. */
  events: EventEnvelope[];
  decisions?: ArchivedDecision[];
  idempotencyTtlSeconds?: number;
  now?: number;
}

/**
 * A stored decision as place-bid.lua writes it: the fingerprint and the reply, which renders from
 * the decision's last event (state after the decision) at that event's time; a proxy-bidding reply
 * also names the request's own bid and whether it was outbid (kept on that event for this).
 */
function storedBidDecision(decision: ArchivedDecision): string {
  const { event } = decision;
  const payload = event.payload as AuctionEventPayload & { idempotency?: BidDecisionMark };
  const mark = payload.idempotency?.reply;
  const reply = {
    ok: true,
    now: event.occurredAt,
    extended: payload.extended === true,
    ...(mark ? { outbid: mark.outbid, maxRaised: mark.maxRaised, bid: mark.bid ?? payload.bid } : {}),
    events: [event],
  };
  return JSON.stringify({ fp: decision.fingerprint, reply: JSON.stringify(reply) });
}

export async function runRestoreAuction(
  redis: RedisClient,
  auctionId: string,
  args: RestoreAuctionArgs,
): Promise<{ restored: boolean; reason?: string }> {
  const keys = auctionKeys(auctionId);
  const bids = args.bids.map((bid) => JSON.stringify({ ...bid, amount: String(bid.amount) }));
  const events = args.events.map((event) => ({ seq: event.seq, json: JSON.stringify(event) }));
  const now = args.now ?? Date.now();
  const ttl = args.idempotencyTtlSeconds ?? DECISION_LIFETIME_SECONDS;
  // Only the time left of the decision's lifetime is restored.
  const decisions = (args.decisions ?? [])
    .map((decision) => ({
      key: keys.idempotency(decision.userId, decision.key),
      secondsLeft: ttl - Math.floor((now - decision.event.occurredAt) / 1000),
      stored: storedBidDecision(decision),
    }))
    .filter((decision) => decision.secondsLeft > 0);
  return restoreScript.runJson(
    redis,
    [
      keys.state,
      keys.bids,
      keys.events,
      keys.fence,
      keys.outbox,
      ...decisions.map((decision) => decision.key),
    ],
    [
      JSON.stringify(args.record),
      JSON.stringify(bids),
      JSON.stringify(events),
      JSON.stringify(decisions.map((decision) => [decision.secondsLeft, decision.stored])),
    ],
  );
}
