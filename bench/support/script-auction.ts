import type { Redis } from 'ioredis';
import { auctionKeys } from '../../functions/adapters/redis/redis-keys.js';

/**
 * An open auction made straight by create-auction.lua (loaded as `createSha`), for the benchmarks
 * that call the scripts without the HTTP app: starting price 1,000, increment 10, ends in an hour.
 */
export async function createAuctionByScript(redis: Redis, createSha: string, id: string): Promise<string> {
  const keys = auctionKeys(id);
  const input = {
    id,
    title: 'Bench lot',
    sellerId: 'seller',
    startingPrice: '1000',
    minIncrement: '10',
    reservePrice: '',
    startsAt: '',
    endsAt: String(Date.now() + 3_600_000),
    antiWindow: '',
    antiExtend: '',
    antiMax: '',
  };
  await redis.evalsha(
    createSha,
    3,
    keys.state,
    keys.events,
    keys.outbox,
    JSON.stringify(input),
    31 * 86_400_000,
    10_000,
  );
  return id;
}

/**
 * One bid on `auctionId` straight through place-bid.lua (loaded as `sha`), with no Idempotency-Key:
 * the bench's rate limit (`rateLimit` per second, 0 = none), a 10,000-event log, the newest 100 bids
 * kept; `maxAmount` for a proxy bid ('' for none), then the Idempotency-Key ('') and how long an
 * accepting run is kept (the run key, KEYS[7]). `maxAmount: undefined` sends ARGV up to the
 * recent-bids count only, for a base script from before proxy bidding (which ignores KEYS[7]).
 */
export function bidByScript(
  redis: Redis,
  sha: string,
  auctionId: string,
  bid: { bidder: string; amount: number; bidId: string; rateLimit: number; maxAmount?: string | undefined },
) {
  const keys = auctionKeys(auctionId);
  const v1 = [bid.bidder, String(bid.amount), bid.bidId, '', bid.rateLimit, 1_000, 10_000, 86_400, 100];
  return redis.evalsha(
    sha,
    7,
    keys.state,
    keys.bids,
    keys.events,
    keys.outbox,
    keys.rateLimit(bid.bidder),
    keys.idempotency(bid.bidder, '-'),
    keys.run(bid.bidId),
    ...v1,
    ...(bid.maxAmount === undefined ? [] : [bid.maxAmount, '', 300]),
  );
}
