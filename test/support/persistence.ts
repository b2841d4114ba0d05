import type { SQSEvent } from 'aws-lambda';
import { ulid } from 'ulid';
import { createPostgresClient, type Sql } from '../../functions/adapters/postgres/client.js';
import type { RedisClient } from '../../functions/adapters/redis/client.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../../functions/adapters/redis/redis-auction-store.js';
import type { EventEnvelope } from '../../functions/domain/events.js';
import type { LogSink } from '../../functions/ports/logger.js';

export const recordingLogger = (): LogSink & { lines: string[] } => ({
  lines: [],
  warn(message, ...extra) {
    this.lines.push(`warn ${message} ${JSON.stringify(extra)}`);
  },
  error(message, ...extra) {
    this.lines.push(`error ${message} ${JSON.stringify(extra)}`);
  },
});

export function testSql(url: string): Sql {
  return createPostgresClient({ url, max: 4, name: 'live-sale-test' });
}

/** An SQS event as Lambda delivers it, one record per body. */
export function sqsEventOf(bodies: readonly (EventEnvelope | string)[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m-${index}-${ulid()}`,
      receiptHandle: `r-${index}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:persist',
      awsRegion: 'us-east-1',
    })),
  };
}

/**
 * Real events from the real scripts: an auction created on Redis with `bids` accepted bids from
 * alternating bidders. Returns the events in seq order (they are also in the auction's outbox).
 */
export async function auctionWithBids(
  redis: RedisClient,
  bids: number,
  overrides: { endsAt?: number; reservePrice?: number | null; id?: string } = {},
): Promise<{ id: string; events: EventEnvelope[]; store: RedisAuctionStore }> {
  const store = new RedisAuctionStore(redis, {
    ...DEFAULT_AUCTION_STORE_LIMITS,
    bidRateLimit: { max: 0, windowMs: 1_000 },
  });
  const id = overrides.id ?? `p4-${ulid()}`;
  const created = await store.create({
    id,
    title: 'Persisted lot',
    sellerId: 'seller-1',
    startingPrice: 1_000,
    minIncrement: 100,
    reservePrice: overrides.reservePrice ?? null,
    startsAt: null,
    endsAt: overrides.endsAt ?? Date.now() + 3_600_000,
    antiSnipe: null,
  });
  if (!created.ok) throw new Error(`create failed: ${created.code}`);
  const events: EventEnvelope[] = [created.event];
  for (let i = 0; i < bids; i++) {
    const outcome = await store.placeBid({
      auctionId: id,
      bidderId: `bidder-${i % 2}`,
      amount: 1_000 + i * 100,
      bidId: ulid(),
      idempotency: null,
    });
    if (!outcome.ok) throw new Error(`bid failed: ${outcome.code}`);
    events.push(outcome.event);
  }
  return { id, events, store };
}

/** A product event shaped as the flash-sale scripts make them (ProductEventPayload). */
export function productEvent(
  productId: string,
  seq: number,
  type: EventEnvelope['type'],
  extra: { available?: number; order?: Record<string, unknown>; payment?: Record<string, unknown> } = {},
): EventEnvelope {
  const now = Date.now();
  return {
    eventId: `p:${productId}:${seq}`,
    type,
    entityType: 'product',
    entityId: productId,
    seq,
    occurredAt: now,
    payload: {
      product: {
        id: productId,
        name: 'Sneaker',
        price: '5000',
        stock: '10',
        available: String(extra.available ?? 10),
        perUserLimit: '1',
        saleStartsAt: String(now - 1_000),
        saleEndsAt: '',
        reservationTtlSeconds: '600',
        seq: String(seq),
        createdAt: String(now - 1_000),
      },
      ...(extra.order ? { order: extra.order } : {}),
      ...(extra.payment ? { payment: extra.payment } : {}),
    },
  };
}

export function orderRecord(
  orderId: string,
  productId: string,
  status: string,
  extra: Record<string, unknown> = {},
) {
  const now = Date.now();
  return {
    id: orderId,
    productId,
    userId: 'buyer-1',
    qty: 1,
    amount: '5000',
    status,
    createdAt: now,
    expiresAt: now + 600_000,
    paidAt: status === 'paid' ? now : 0,
    refundRequired: false,
    ...extra,
  };
}
