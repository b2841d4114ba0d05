import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { PostgresEventSink } from '../functions/adapters/postgres/postgres-event-sink.js';
import { PostgresNotifications } from '../functions/adapters/postgres/postgres-notifications.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { OutboxIndex } from '../functions/adapters/redis/outbox-index.js';
import { RedisAuctionLifecycle } from '../functions/adapters/redis/redis-auction-lifecycle.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import type { EventEnvelope } from '../functions/domain/events.js';
import { isClosing, NOTIFICATION_RETENTION_MS } from '../functions/domain/notifications.js';
import type { StoredNotification } from '../functions/ports/notifications.js';
import { testSql } from './support/persistence.js';

/**
 * The writer's derivation on real PostgreSQL, fed with real events from the real scripts on real
 * Redis: delivered in any order, in any batches, twice, by concurrent writers.
 */
describe('notifications derived by the writer (real PostgreSQL, real script events)', () => {
  let sql: Sql;
  let redis: RedisClient;
  let store: RedisAuctionStore;
  let sink: PostgresEventSink;
  let notifications: PostgresNotifications;

  beforeAll(() => {
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: inject('redisUrl'), cluster: false });
    store = new RedisAuctionStore(redis, {
      ...DEFAULT_AUCTION_STORE_LIMITS,
      bidRateLimit: { max: 0, windowMs: 1_000 },
    });
    sink = new PostgresEventSink(sql);
    notifications = new PostgresNotifications(sql);
  });
  afterAll(async () => {
    await sql.end();
    await redis.quit();
  });

  /** What the writer does per batch: store the events and, in the same transaction, derive. */
  async function write(events: readonly EventEnvelope[]): Promise<StoredNotification[]> {
    return (await sink.write(events as EventEnvelope<Record<string, unknown>>[])).notifications ?? [];
  }

  async function newAuction(endsAt = Date.now() + 3_600_000) {
    const id = `n27-${ulid()}`;
    const created = await store.create({
      id,
      title: 'Brass lamp',
      sellerId: `seller-${id}`,
      startingPrice: 1_000,
      minIncrement: 100,
      reservePrice: null,
      startsAt: null,
      endsAt,
      antiSnipe: null,
    });
    if (!created.ok) throw new Error(created.code);
    return { id, events: [created.event] as EventEnvelope[] };
  }

  async function bid(auctionId: string, bidderId: string, amount: number, maxAmount?: number) {
    const outcome = await store.placeBid({
      auctionId,
      bidderId,
      amount,
      maxAmount,
      bidId: ulid(),
      idempotency: null,
    });
    if (!outcome.ok) throw new Error(`${bidderId} ${amount}: ${outcome.code}`);
    return outcome.events;
  }

  const listAll = async (userId: string) => (await notifications.list(userId, 0, 100)).notifications;

  it('outbids, proxy raises, reordered and repeated delivery: each notification once, seq 1..n per user', async () => {
    const u = ulid();
    const [alice, bob, carol] = [`alice-${u}`, `bob-${u}`, `carol-${u}`];
    const { id, events } = await newAuction();
    events.push(...(await bid(id, alice, 1_000, 2_000))); // Alice leads, maximum 2000
    events.push(...(await bid(id, bob, 1_100))); // the proxy keeps Alice leading: nothing
    events.push(...(await bid(id, bob, 1_500, 3_000))); // Bob takes the lead after a raise: one outbid
    events.push(...(await bid(id, carol, 3_100))); // Carol over Bob's maximum: Bob outbid
    events.push(...(await bid(id, alice, 3_200))); // Alice back: Carol outbid
    // Newest first, in two batches, then everything again.
    const reversed = [...events].reverse();
    const first = await write(reversed.slice(0, 4));
    expect(first).toEqual([]); // nothing before the gap is filled
    const second = await write(reversed.slice(4));
    expect(await write(events)).toEqual([]);
    expect(second.map((n) => [n.userId, n.notification.kind, n.notification.seq])).toEqual([
      [alice, 'outbid', 1],
      [bob, 'outbid', 1],
      [carol, 'outbid', 1],
    ]);
    const [aliceOutbid] = await listAll(alice);
    expect(aliceOutbid).toMatchObject({
      seq: 1,
      kind: 'outbid',
      auctionId: id,
      title: 'Brass lamp',
      amount: 2_100,
    });
    expect(await listAll(bob)).toMatchObject([{ seq: 1, kind: 'outbid', amount: 3_100 }]);
    expect(await notifications.latestSeq(carol)).toBe(1);
    expect(await notifications.latestSeq(`nobody-${u}`)).toBe(0);
  });

  it('the close: won with the final price, lost to each other bidder once, sold to the seller; unsold without bids', async () => {
    const u = ulid();
    const bidders = [`a-${u}`, `b-${u}`, `c-${u}`];
    const { id, events } = await newAuction(Date.now() + 1_500);
    for (const [i, bidder] of [...bidders, bidders[0], bidders[1]].entries()) {
      events.push(...(await bid(id, bidder as string, 1_000 + i * 100)));
    }
    const empty = await newAuction(Date.now() + 1_500);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const lifecycle = new RedisAuctionLifecycle(redis, new OutboxIndex(redis));
    const closed = await lifecycle.close(id);
    const closedEmpty = await lifecycle.close(empty.id);
    if (closed.code !== 'closed' || closedEmpty.code !== 'closed') throw new Error('close failed');
    // The close first: it waits for the bids before it.
    await write([closed.event, closedEmpty.event, ...empty.events]);
    await write(events.slice(3));
    const stored = await write(events.slice(0, 3));
    await write([closed.event, ...events]);
    const kinds = stored.filter((n) => n.notification.auctionId === id && n.notification.kind !== 'outbid');
    expect(kinds.map((n) => [n.userId, n.notification.kind, n.notification.amount])).toEqual([
      [bidders[1], 'auction.won', 1_400],
      [bidders[0], 'auction.lost', undefined],
      [bidders[2], 'auction.lost', undefined],
      [`seller-${id}`, 'auction.sold', 1_400],
    ]);
    expect(await listAll(`seller-${empty.id}`)).toMatchObject([
      { seq: 1, kind: 'auction.unsold', auctionId: empty.id },
    ]);
    // Every bidder's list: contiguous seqs, each kind once.
    for (const bidder of bidders) {
      const list = await listAll(bidder);
      expect(list.map((n) => n.seq)).toEqual(list.map((_, i) => i + 1));
      expect(list.filter((n) => n.kind.startsWith('auction.'))).toHaveLength(1);
    }
  });

  it('concurrent writers on the same auctions and users: no deadlock, no gap, no repeat', async () => {
    const u = ulid();
    const players = [`p0-${u}`, `p1-${u}`];
    const lots = await Promise.all([newAuction(), newAuction(), newAuction()]);
    for (let round = 0; round < 10; round++) {
      for (const lot of lots)
        lot.events.push(...(await bid(lot.id, players[round % 2] as string, 1_000 + round * 100)));
    }
    const all = lots.flatMap((lot) => lot.events);
    // Six writers, each with an interleaved slice, twice over.
    const slices = Array.from({ length: 6 }, (_, i) => all.filter((_, j) => j % 6 === i));
    const results = await Promise.all([...slices, ...slices].map((slice) => write(slice)));
    expect(results.flat()).toHaveLength(27); // 3 lots x 9 lead changes
    for (const player of players) {
      const list = await listAll(player);
      expect(list.map((n) => n.seq)).toEqual(list.map((_, i) => i + 1));
    }
  });

  it('the fast path (Redis event log) and the writer (PostgreSQL) racing: each notification once; a close is left to the writer', async () => {
    const u = ulid();
    const players = [`f0-${u}`, `f1-${u}`];
    const { id, events } = await newAuction(Date.now() + 1_500);
    const fromLog = () =>
      notifications.deriveFromLog(
        [{ entityType: 'auction', entityId: id }],
        async (entity, fromSeq) =>
          (await store.events(entity.entityId, Math.max(0, fromSeq - 1), 500)).map((event) => ({
            ...event,
            payload: event.payload as Record<string, unknown>,
          })),
        isClosing,
      );
    const fast: StoredNotification[] = [];
    for (let round = 0; round < 6; round++) {
      events.push(...(await bid(id, players[round % 2] as string, 1_000 + round * 100)));
      // The fast path runs before the writer has stored anything of this round.
      fast.push(...(await fromLog()));
    }
    expect(fast.map((n) => n.notification.seq)).toEqual([1, 1, 2, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const lifecycle = new RedisAuctionLifecycle(redis, new OutboxIndex(redis));
    const closed = await lifecycle.close(id);
    if (closed.code !== 'closed') throw new Error('close failed');
    events.push(closed.event);
    const [fastAgain, written] = await Promise.all([fromLog(), write(events)]);
    expect(fastAgain).toEqual([]); // nothing new for it: the close is the writer's
    expect(written.map((n) => [n.userId, n.notification.kind])).toEqual([
      [players[1], 'auction.won'],
      [players[0], 'auction.lost'],
      [`seller-${id}`, 'auction.sold'],
    ]);
    for (const player of players) {
      const list = await listAll(player);
      expect(list.map((n) => n.seq)).toEqual(list.map((_, i) => i + 1));
      expect(list.filter((n) => n.kind.startsWith('auction.'))).toHaveLength(1);
    }
  });

  it('the fast path never waits for a writer holding the cursor: it skips, and the writer derives', async () => {
    const u = ulid();
    const { id, events } = await newAuction();
    events.push(...(await bid(id, `s0-${u}`, 1_000)));
    await write(events);
    events.push(...(await bid(id, `s1-${u}`, 1_100)));
    const fromLog = () =>
      notifications.deriveFromLog(
        [{ entityType: 'auction', entityId: id }],
        async (entity, fromSeq) =>
          (await store.events(entity.entityId, Math.max(0, fromSeq - 1), 500)).map((event) => ({
            ...event,
            payload: event.payload as Record<string, unknown>,
          })),
        isClosing,
      );
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = sql.begin(async (tx) => {
      await tx`SELECT 1 FROM notification_cursors WHERE entity_type = 'auction' AND entity_id = ${id} FOR UPDATE`;
      locked();
      await held;
    });
    await isLocked;
    const started = Date.now();
    expect(await fromLog()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
    release();
    await holder;
    expect((await write(events)).map((n) => [n.userId, n.notification.kind])).toEqual([
      [`s0-${u}`, 'outbid'],
    ]);
  });

  it('a log that no longer holds the event at the cursor derives nothing (the writer reads PostgreSQL)', async () => {
    const u = ulid();
    const { id, events } = await newAuction();
    events.push(...(await bid(id, `g0-${u}`, 1_000)));
    await write(events); // cursor at seq 2
    events.push(...(await bid(id, `g1-${u}`, 1_100)));
    const trimmed = await notifications.deriveFromLog(
      [{ entityType: 'auction', entityId: id }],
      async () =>
        events
          .filter((event) => event.seq > 2)
          .map((event) => ({ ...event, payload: event.payload as Record<string, unknown> })),
      isClosing,
    );
    expect(trimmed).toEqual([]);
    expect((await write(events)).map((n) => n.userId)).toEqual([`g0-${u}`]);
  });

  it('lists from a seq with a limit and a next; keeps 30 days', async () => {
    const u = ulid();
    const [x, y] = [`x-${u}`, `y-${u}`];
    const { id, events } = await newAuction();
    for (let i = 0; i < 7; i++) events.push(...(await bid(id, i % 2 === 0 ? x : y, 1_000 + i * 100)));
    await write(events);
    const page = await notifications.list(x, 0, 2);
    expect(page.notifications.map((n) => n.seq)).toEqual([1, 2]);
    expect(page.next).toBe(2);
    const rest = await notifications.list(x, 2, 100);
    expect(rest.notifications.map((n) => n.seq)).toEqual([3]);
    expect(rest.next).toBeNull();
    await sql`UPDATE notifications SET at = now() - interval '31 days' WHERE user_id = ${x} AND seq = 1`;
    expect((await notifications.list(x, 0, 100)).notifications.map((n) => n.seq)).toEqual([2, 3]);
    expect(
      await notifications.deleteOlderThan(Date.now() - NOTIFICATION_RETENTION_MS),
    ).toBeGreaterThanOrEqual(1);
    expect(Number((await sql`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${x}`)[0]?.n)).toBe(
      2,
    );
    // The counter never goes back: the next one is 4, not 3.
    expect(await notifications.latestSeq(x)).toBe(3);
  });
});
