import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresClient, type Sql } from '../functions/adapters/postgres/client.js';
import { PostgresEventSink } from '../functions/adapters/postgres/postgres-event-sink.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import type { AuctionEventPayload, EventEnvelope } from '../functions/domain/events.js';
import { createWriterHandler } from '../functions/writer/handler.js';
import {
  auctionWithBids,
  orderRecord,
  productEvent,
  recordingLogger,
  sqsEventOf,
  testSql,
} from './support/persistence.js';
import { freePort } from './support/ports.js';

/** The close the sweeper's script makes: the last state with closedAt set and seq + 1. */
function closedEvent(last: EventEnvelope): EventEnvelope {
  const state = { ...(last.payload as AuctionEventPayload).state };
  const seq = last.seq + 1;
  state.seq = String(seq);
  state.closedAt = String(last.occurredAt + 1);
  return {
    ...last,
    eventId: `a:${last.entityId}:${seq}`,
    type: 'auction.closed',
    seq,
    occurredAt: last.occurredAt + 1,
    payload: { state },
  };
}

describe('writer on real PostgreSQL', () => {
  let sql: Sql;
  let redis: RedisClient;
  const logger = recordingLogger();
  let handler: ReturnType<typeof createWriterHandler>;

  beforeAll(() => {
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: inject('redisUrl'), cluster: false });
    handler = createWriterHandler({ sink: new PostgresEventSink(sql), logger });
  });
  afterAll(async () => {
    await sql.end();
    await redis.quit();
  });

  const auctionRow = async (id: string) =>
    (await sql`SELECT seq, bid_count, current_price, leader_id, closed_at FROM auctions WHERE id = ${id}`)[0];
  const count = async (table: string, column: string, id: string) =>
    Number((await sql`SELECT count(*)::int AS n FROM ${sql(table)} WHERE ${sql(column)} = ${id}`)[0]?.n);

  it('persists accepted events whose text PostgreSQL cannot store (NUL, lone surrogates) instead of dead-lettering them', async () => {
    // As an auction titled with a NUL (issue 19 item 1) left its events: accepted by Redis, each
    // carrying the title; a lone surrogate as older data or another path could carry it.
    const { id, events } = await auctionWithBids(redis, 3);
    const tainted = events.map((event) => {
      const payload = event.payload as AuctionEventPayload;
      const bid = payload.bid ? { ...payload.bid, bidderId: `${payload.bid.bidderId}\u0000x` } : undefined;
      return {
        ...event,
        payload: {
          ...payload,
          state: { ...payload.state, title: 'Lot \u0000 with a NUL and a lone \ud800 surrogate' },
          ...(bid ? { bid } : {}),
        },
      };
    });
    const batch = await handler(sqsEventOf(tainted));
    expect(batch.batchItemFailures).toEqual([]);
    const one = await handler(sqsEventOf(tainted.slice(-1)));
    expect(one.batchItemFailures).toEqual([]);
    expect(await count('bids', 'auction_id', id)).toBe(3);
    expect(await count('events', 'entity_id', id)).toBe(4);
    const [row] = await sql<{ title: string; state: { title: string } }[]>`
      SELECT title, state FROM auctions WHERE id = ${id}`;
    expect(row?.title).toBe('Lot \uFFFD with a NUL and a lone \uFFFD surrogate');
    expect(row?.state.title).toBe(row?.title);
  });

  it('persists an auction, its bids and every event, reporting no failure', async () => {
    const { id, events } = await auctionWithBids(redis, 5);
    const response = await handler(sqsEventOf(events));
    expect(response.batchItemFailures).toEqual([]);
    expect(await auctionRow(id)).toMatchObject({
      seq: 6,
      bid_count: 5,
      current_price: 1_400,
      leader_id: 'bidder-0',
    });
    expect(await count('bids', 'auction_id', id)).toBe(5);
    expect(await count('events', 'entity_id', id)).toBe(6);
  });

  it('is idempotent: duplicates within a batch and across batches change nothing', async () => {
    const { id, events } = await auctionWithBids(redis, 3);
    const doubled = [...events, ...events];
    expect((await handler(sqsEventOf(doubled))).batchItemFailures).toEqual([]);
    expect((await handler(sqsEventOf(events))).batchItemFailures).toEqual([]);
    expect(await count('events', 'entity_id', id)).toBe(4);
    expect(await count('bids', 'auction_id', id)).toBe(3);
    expect(await auctionRow(id)).toMatchObject({ seq: 4, bid_count: 3 });
  });

  it('is order-independent: a higher seq wins and closed beats open, whatever arrives first', async () => {
    const { id, events } = await auctionWithBids(redis, 4);
    const closed = closedEvent(events.at(-1) as EventEnvelope);
    // Newest first, one event per batch: every later batch carries an older state.
    for (const event of [closed, ...[...events].reverse()]) {
      expect((await handler(sqsEventOf([event]))).batchItemFailures).toEqual([]);
    }
    const row = await auctionRow(id);
    expect(row).toMatchObject({ seq: 6, bid_count: 4, current_price: 1_300 });
    expect(row?.closed_at).toBeInstanceOf(Date);
    expect(await count('bids', 'auction_id', id)).toBe(4);
    const [result] =
      await sql`SELECT winner_id, final_price, reserve_met FROM auction_results WHERE auction_id = ${id}`;
    expect(result).toEqual({ winner_id: 'bidder-1', final_price: 1_300, reserve_met: true });
  });

  it('keeps orders moving forward: paid beats reserved, a later refund flag wins', async () => {
    const productId = `prod-${ulid()}`;
    const orderId = `ord-${ulid()}`;
    const created = productEvent(productId, 1, 'product.created');
    const reserved = productEvent(productId, 2, 'order.reserved', {
      available: 9,
      order: orderRecord(orderId, productId, 'reserved'),
    });
    const paid = productEvent(productId, 3, 'order.paid', {
      available: 9,
      order: orderRecord(orderId, productId, 'paid'),
      payment: {
        eventId: `evt-${ulid()}`,
        type: 'payment.succeeded',
        orderId,
        amount: '5000',
        outcome: 'paid',
        receivedAt: Date.now(),
      },
    });
    expect((await handler(sqsEventOf([paid]))).batchItemFailures).toEqual([]);
    expect((await handler(sqsEventOf([reserved, created]))).batchItemFailures).toEqual([]);
    const [order] = await sql`SELECT status, seq, paid_at, amount FROM orders WHERE id = ${orderId}`;
    expect(order).toMatchObject({ status: 'paid', seq: 3, amount: 5_000 });
    expect(order?.paid_at).toBeInstanceOf(Date);
    const [product] = await sql`SELECT seq, available, price FROM products WHERE id = ${productId}`;
    expect(product).toEqual({ seq: 3, available: 9, price: 5_000 });
    expect(await count('payment_events', 'order_id', orderId)).toBe(1);
    // A reserved state with a higher seq than paid (cannot happen from the scripts) still loses.
    const staleReserved = productEvent(productId, 9, 'order.reserved', {
      order: orderRecord(orderId, productId, 'reserved'),
    });
    await handler(sqsEventOf([staleReserved]));
    expect((await sql`SELECT status FROM orders WHERE id = ${orderId}`)[0]?.status).toBe('paid');
    const refund = productEvent(productId, 10, 'payment.received', {
      order: orderRecord(orderId, productId, 'paid', { refundRequired: true }),
      payment: {
        eventId: `evt-${ulid()}`,
        type: 'payment.succeeded',
        orderId,
        amount: '1',
        outcome: 'refund',
      },
    });
    await handler(sqsEventOf([refund]));
    expect((await sql`SELECT refund_required FROM orders WHERE id = ${orderId}`)[0]?.refund_required).toBe(
      true,
    );
  });

  it('fails exactly the poison records of a batch and persists the rest', async () => {
    const { id, events } = await auctionWithBids(redis, 3);
    const badBid = structuredClone(events[2] as EventEnvelope<AuctionEventPayload>);
    badBid.eventId = `a:${id}-x:3`;
    const negative = structuredClone(events[3] as EventEnvelope<AuctionEventPayload>);
    (negative.payload.bid as Record<string, unknown>).amount = '-5';
    const unsafe = structuredClone(events[1] as EventEnvelope<AuctionEventPayload>);
    unsafe.payload.state.currentPrice = '99999999999999999999';
    const batch = sqsEventOf([
      events[0] as EventEnvelope,
      'not json',
      badBid,
      negative,
      unsafe,
      events[2] as EventEnvelope,
    ]);
    const response = await handler(batch);
    const failedIds = response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
    const records = batch.Records;
    expect(failedIds).toEqual(
      [records[1], records[2], records[3], records[4]].map((r) => r?.messageId).sort(),
    );
    expect(await count('events', 'entity_id', id)).toBe(2);
    expect(await count('bids', 'auction_id', id)).toBe(1);
  });

  it('fails the whole batch when PostgreSQL is unreachable', async () => {
    const port = await freePort();
    const down = createPostgresClient({ url: `postgres://postgres@127.0.0.1:${port}/test`, max: 1 });
    const downHandler = createWriterHandler({ sink: new PostgresEventSink(down), logger: recordingLogger() });
    const { events } = await auctionWithBids(redis, 2);
    const batch = sqsEventOf(events);
    const response = await downHandler(batch);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      batch.Records.map((record) => record.messageId),
    );
    await down.end();
  });
});
