import type { AuctionFence } from '../../../../ports/auction-recovery.js';
import type { RedisClient } from '../../client.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './fence-auction.lua';

const fenceScript = luaScript('fenceAuction', source);

/** A fence nobody follows up on (nobody reads the auction again) disappears after a day. */
const FENCE_LIFETIME_SECONDS = 24 * 60 * 60;

export async function runFenceAuction(redis: RedisClient, auctionId: string): Promise<AuctionFence> {
  const keys = auctionKeys(auctionId);
  const reply = await fenceScript.runJson<
    { now: number; exists: true } | { now: number; exists: false; since: number; outboxPending: number }
  >(redis, [keys.state, keys.fence, keys.outbox], [FENCE_LIFETIME_SECONDS]);
  return reply;
}
