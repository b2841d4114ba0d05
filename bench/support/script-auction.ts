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
