import type { AuctionState } from '../../../../domain/auction.js';
import { parseAuctionRecord } from '../../../../domain/auction-record.js';
import type { RedisClient } from '../../client.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './read-auction.lua';

const script = luaScript('readAuction', source);

export interface ReadAuctionReply {
  now: number;
  state: AuctionState | null;
}

export async function runReadAuction(redis: RedisClient, auctionId: string): Promise<ReadAuctionReply> {
  const reply = await script.runJson<{ now: number; state?: Record<string, string> }>(
    redis,
    [auctionKeys(auctionId).state],
    [],
  );
  return { now: reply.now, state: reply.state ? parseAuctionRecord(reply.state) : null };
}
