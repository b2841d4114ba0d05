import { type Bid, MAX_AUCTION_DURATION_MS } from '../../domain/auction.js';
import { type BidRecord, parseBidRecord } from '../../domain/auction-record.js';
import type { EventEnvelope } from '../../domain/events.js';
import type {
  AuctionStore,
  BidCommand,
  BuyNowCommand,
  BuyNowOutcome,
  CreateAuctionOutcome,
  NewAuction,
  PlaceBidOutcome,
  SellerCloseCommand,
  SellerCloseOutcome,
} from '../../ports/auction-store.js';
import type { RedisClient } from './client.js';
import { runBuyNow } from './lua/auction/buy-now.js';
import { runCreateAuction } from './lua/auction/create-auction.js';
import { runPlaceBid } from './lua/auction/place-bid.js';
import { runReadAuction } from './lua/auction/read-auction.js';
import { runSellerClose } from './lua/auction/seller-close.js';
import { OutboxIndex } from './outbox-index.js';
import { AUCTIONS_BY_END_KEY, auctionKeys, outboxMember } from './redis-keys.js';

export interface AuctionStoreLimits {
  bidRateLimit: { max: number; windowMs: number };
  eventLogLength: number;
  idempotencyTtlSeconds: number;
  recentBidsKept: number;
}

export const DEFAULT_AUCTION_STORE_LIMITS: AuctionStoreLimits = {
  bidRateLimit: { max: 10, windowMs: 1_000 },
  eventLogLength: 10_000,
  idempotencyTtlSeconds: 24 * 60 * 60,
  recentBidsKept: 100,
};

export class RedisAuctionStore implements AuctionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly limits: AuctionStoreLimits = DEFAULT_AUCTION_STORE_LIMITS,
    private readonly outboxIndex: OutboxIndex = new OutboxIndex(redis),
  ) {}

  async create(auction: NewAuction): Promise<CreateAuctionOutcome> {
    // Intent first: the sweeper's index learns of the auction before it exists, so a crash in between
    // leaves an index entry the sweeper drops, never an auction that nobody closes.
    await Promise.all([
      this.redis.zadd(AUCTIONS_BY_END_KEY, auction.endsAt, auction.id),
      this.outboxIndex.intent(outboxMember('auction', auction.id)),
    ]);
    return runCreateAuction(this.redis, {
      ...auction,
      maxDurationMs: MAX_AUCTION_DURATION_MS,
      eventLogLength: this.limits.eventLogLength,
    });
  }

  read(auctionId: string) {
    return runReadAuction(this.redis, auctionId);
  }

  async placeBid(command: BidCommand): Promise<PlaceBidOutcome> {
    // Intent first (see outbox-index.ts): the sweeper can find this auction's outbox if the process
    // dies between the script and SQS.
    await this.outboxIndex.intent(outboxMember('auction', command.auctionId), { ifExists: true });
    return runPlaceBid(this.redis, {
      ...command,
      rateLimit: this.limits.bidRateLimit,
      eventLogLength: this.limits.eventLogLength,
      idempotencyTtlSeconds: this.limits.idempotencyTtlSeconds,
      recentBidsKept: this.limits.recentBidsKept,
    });
  }

  async buyNow(command: BuyNowCommand): Promise<BuyNowOutcome> {
    // Intent first, as for a bid: a buy-now writes the close to the outbox.
    await this.outboxIndex.intent(outboxMember('auction', command.auctionId), { ifExists: true });
    return runBuyNow(this.redis, {
      ...command,
      rateLimit: this.limits.bidRateLimit,
      eventLogLength: this.limits.eventLogLength,
      idempotencyTtlSeconds: this.limits.idempotencyTtlSeconds,
    });
  }

  async sellerClose(command: SellerCloseCommand): Promise<SellerCloseOutcome> {
    await this.outboxIndex.intent(outboxMember('auction', command.auctionId), { ifExists: true });
    return runSellerClose(this.redis, command, this.limits.eventLogLength);
  }

  async recentBids(auctionId: string, limit: number): Promise<Bid[]> {
    const rows = await this.redis.lrange(auctionKeys(auctionId).bids, 0, limit - 1);
    return rows.map((row) => parseBidRecord(JSON.parse(row) as BidRecord));
  }

  async events(auctionId: string, sinceSeq: number, limit: number): Promise<EventEnvelope[]> {
    const rows = await this.redis.zrangebyscore(
      auctionKeys(auctionId).events,
      `(${sinceSeq}`,
      '+inf',
      'LIMIT',
      0,
      limit,
    );
    return rows.map((row) => JSON.parse(row) as EventEnvelope);
  }

  async acknowledge(events: readonly EventEnvelope[]): Promise<void> {
    await Promise.all(
      events.map((event) => this.redis.hdel(auctionKeys(event.entityId).outbox, event.eventId)),
    );
  }
}
