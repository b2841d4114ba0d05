import type { Bid } from '../../../domain/auction.js';
import type { EventEnvelope } from '../../../domain/events.js';
import type { AuctionFence } from '../../../ports/auction-recovery.js';
import type { RedisClient } from '../client.js';
import { LuaScript } from '../lua-script.js';
import { auctionKeys } from '../redis-keys.js';
import fenceSource from './fence-auction.lua';
import restoreSource from './restore-auction.lua';

const fenceScript = new LuaScript('fenceAuction', fenceSource);
const restoreScript = new LuaScript('restoreAuction', restoreSource);

/** A fence nobody follows up on (nobody reads the auction again) disappears after a day. */
const FENCE_LIFETIME_SECONDS = 24 * 60 * 60;

export async function runFenceAuction(redis: RedisClient, auctionId: string): Promise<AuctionFence> {
  const keys = auctionKeys(auctionId);
  const reply = await fenceScript.runJson<
    { now: number; exists: true } | { now: number; exists: false; since: number; outboxPending: number }
  >(redis, [keys.state, keys.fence, keys.outbox], [FENCE_LIFETIME_SECONDS]);
  return reply;
}

export interface RestoreAuctionArgs {
  record: Record<string, string>;
  /** Newest first. */
  bids: Bid[];
  /** Oldest first. */
  events: EventEnvelope[];
}

export async function runRestoreAuction(
  redis: RedisClient,
  auctionId: string,
  args: RestoreAuctionArgs,
): Promise<{ restored: boolean; reason?: string }> {
  const keys = auctionKeys(auctionId);
  const bids = args.bids.map((bid) => JSON.stringify({ ...bid, amount: String(bid.amount) }));
  const events = args.events.map((event) => ({ seq: event.seq, json: JSON.stringify(event) }));
  return restoreScript.runJson(
    redis,
    [keys.state, keys.bids, keys.events, keys.fence, keys.outbox],
    [JSON.stringify(args.record), JSON.stringify(bids), JSON.stringify(events)],
  );
}
