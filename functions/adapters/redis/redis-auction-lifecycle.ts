import type { EventEnvelope } from '../../domain/events.js';
import type {
  AuctionCloser,
  AuctionFence,
  AuctionRecoveryStore,
  AuctionSnapshot,
  CloseOutcome,
} from '../../ports/auction-recovery.js';
import type { RedisClient } from './client.js';
import { runCloseAuction } from './lua/auction/close-auction.js';
import { runFenceAuction } from './lua/auction/fence-auction.js';
import { runRestoreAuction } from './lua/auction/restore-auction.js';
import type { OutboxIndex } from './outbox-index.js';
import { AUCTIONS_BY_END_KEY, outboxMember } from './redis-keys.js';

/** Closing, fencing and rebuilding auctions on Redis: the sweeper's and the recovery's store. */
export class RedisAuctionLifecycle implements AuctionCloser, AuctionRecoveryStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly outboxIndex: OutboxIndex,
    private readonly eventLogLength = 10_000,
  ) {}

  async now(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  dueForClose(nowMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(AUCTIONS_BY_END_KEY, '-inf', nowMs, 'LIMIT', 0, limit);
  }

  async close(auctionId: string): Promise<CloseOutcome> {
    await this.outboxIndex.intent(outboxMember('auction', auctionId), { ifExists: true });
    const outcome = await runCloseAuction(this.redis, auctionId, this.eventLogLength);
    if (outcome.ok) return { code: 'closed', event: outcome.event as EventEnvelope };
    if (outcome.code === 'not_ended') return { code: 'not_ended', endsAt: outcome.endsAt };
    return { code: outcome.code };
  }

  async reschedule(auctionId: string, endsAt: number): Promise<void> {
    await this.redis.zadd(AUCTIONS_BY_END_KEY, 'XX', endsAt, auctionId);
  }

  async unschedule(auctionId: string): Promise<void> {
    await this.redis.zrem(AUCTIONS_BY_END_KEY, auctionId);
  }

  fence(auctionId: string): Promise<AuctionFence> {
    return runFenceAuction(this.redis, auctionId);
  }

  async restore(auctionId: string, snapshot: AuctionSnapshot): Promise<boolean> {
    // Intent first: an open auction is back in the sweeper's index before it exists again.
    if (snapshot.record.closedAt === '' || snapshot.record.closedAt === undefined) {
      await this.redis.zadd(AUCTIONS_BY_END_KEY, Number(snapshot.record.endsAt), auctionId);
    }
    const reply = await runRestoreAuction(this.redis, auctionId, snapshot);
    return reply.restored;
  }
}
