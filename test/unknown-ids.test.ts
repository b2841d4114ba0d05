import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { MissCache } from '../functions/adapters/postgres/miss-cache.js';
import {
  PostgresAuctionArchive,
  PostgresProductArchive,
} from '../functions/adapters/postgres/postgres-archives.js';
import { OutboxIndex } from '../functions/adapters/redis/outbox-index.js';
import { RedisAuctionStore } from '../functions/adapters/redis/redis-auction-store.js';
import { auctionKeys, OUTBOX_INDEX_KEY } from '../functions/adapters/redis/redis-keys.js';
import { RedisOutboxes } from '../functions/adapters/redis/redis-outboxes.js';
import { SqsEventPublisher } from '../functions/adapters/sqs/sqs-event-publisher.js';
import { DEFAULT_RESEND_SETTINGS, resendOutbox } from '../functions/use-cases/shared/resend-outbox.js';
import { createHttpFixture, type HttpFixture, quietLogger } from './support/http-fixture.js';
import { testSql } from './support/persistence.js';
import { tokenFor } from './support/tokens.js';

/**
 * Issue 19, item 4: requests for ids that do not exist write no lasting Redis state (no user-wide
 * claim, no outbox intent), a user is limited across entities before anything is written, the
 * sweeper reads the whole outbox index, and an unknown id does not cost a PostgreSQL query each time.
 */
describe('requests for ids that do not exist', () => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      userRateLimit: 20,
    });
  });
  afterAll(() => fx.close());

  /** Sends `count` requests, `concurrency` at a time; returns the statuses seen. */
  async function flood(count: number, request: (n: number) => Response | Promise<Response>) {
    const statuses = new Map<number, number>();
    for (let start = 0; start < count; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, (_, i) => request(start + i)),
      );
      for (const response of batch) statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
    return statuses;
  }

  it('2,000 unknown-id bids and orders from one user leave fewer than 50 new Redis keys', async () => {
    const token = await tokenFor(`flooder-${ulid()}`);
    const run = ulid();
    const keysBefore = await fx.redis.dbsize();
    const indexBefore = await fx.redis.zcard(OUTBOX_INDEX_KEY);
    const started = performance.now();
    const statuses = await flood(2_000, (n) =>
      n % 2 === 0
        ? fx.request(`/auctions/nope-${run}-${n}/bids`, {
            method: 'POST',
            token,
            body: { amount: 100 },
            headers: n % 4 === 0 ? { 'idempotency-key': `k-${n}` } : {},
          })
        : fx.request('/orders', {
            method: 'POST',
            token,
            body: { productId: `nope-${run}-${n}`, qty: 1 },
            headers: n % 4 === 1 ? { 'idempotency-key': `k-${n}` } : {},
          }),
    );
    const ms = Math.round(performance.now() - started);
    const newKeys = (await fx.redis.dbsize()) - keysBefore;
    const newIndexMembers = (await fx.redis.zcard(OUTBOX_INDEX_KEY)) - indexBefore;
    console.log(
      `2,000 unknown-id requests from one user in ${ms} ms: ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `new Redis keys (DBSIZE after - before): ${newKeys}; new outbox:index members: ${newIndexMembers}`,
    );
    expect([...statuses.keys()].every((status) => status === 404 || status === 429)).toBe(true);
    expect(newKeys).toBeLessThan(50);
    expect(newIndexMembers).toBe(0);
  });

  it('leave nothing behind even without the user-wide limit: no claim, no intent', async () => {
    const unlimited = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
    });
    try {
      const user = `unlimited-${ulid()}`;
      const token = await tokenFor(user);
      const keysBefore = await unlimited.redis.dbsize();
      const statuses = await flood(400, (n) =>
        unlimited.request(n % 2 ? '/orders' : `/auctions/none-${n}/bids`, {
          method: 'POST',
          token,
          body: n % 2 ? { productId: `none-${n}`, qty: 1 } : { amount: 100 },
          headers: { 'idempotency-key': `key-${n}` },
        }),
      );
      expect(statuses.get(404)).toBe(400);
      // Only the user's own rate counter (one key, it expires with its window).
      expect((await unlimited.redis.dbsize()) - keysBefore).toBeLessThanOrEqual(1);
      // The key is free again: the same key on an existing auction is decided, not refused as reused.
      const auction = await unlimited.createAuction();
      const bid = await unlimited.request(`/auctions/${auction.id}/bids`, {
        method: 'POST',
        token,
        body: { amount: 1_000 },
        headers: { 'idempotency-key': 'key-0' },
      });
      expect(bid.status).toBe(201);
    } finally {
      await unlimited.close();
    }
  });

  it('limits a user across entities before the claim: 429 with Retry-After, other users unaffected', async () => {
    const auction = await fx.createAuction({ startingPrice: 100, minIncrement: 1 });
    const hasty = await tokenFor(`hasty-${ulid()}`);
    const statuses = await flood(40, (n) =>
      fx.request(`/auctions/${auction.id}/bids`, {
        method: 'POST',
        token: hasty,
        body: { amount: 100 + n },
        headers: { 'idempotency-key': `hasty-${n}` },
      }),
    );
    expect(statuses.get(429)).toBeGreaterThanOrEqual(20);
    const limited = await fx.request(`/auctions/${auction.id}/bids`, {
      method: 'POST',
      token: hasty,
      body: { amount: 10_000 },
      headers: { 'idempotency-key': 'hasty-late' },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const other = await fx.request(`/auctions/${auction.id}/bids`, {
      method: 'POST',
      token: await tokenFor(`calm-${ulid()}`),
      body: { amount: 20_000 },
      headers: { 'idempotency-key': 'calm-1' },
    });
    expect(other.status).toBe(201);
  });

  it('the sweeper reads the whole outbox index, not only its oldest 5,000 members', async () => {
    // 6,000 older members with empty outboxes, then a real auction whose event never reached SQS.
    const old = Date.now() - 3_600_000;
    const flat: (string | number)[] = [];
    for (let i = 0; i < 6_000; i++) flat.push(old + i, `a:ghost-${ulid()}-${i}`);
    await fx.redis.zadd(OUTBOX_INDEX_KEY, ...flat);
    const store = new RedisAuctionStore(fx.redis, undefined, new OutboxIndex(fx.redis));
    const id = `swept-${ulid()}`;
    const created = await store.create({
      id,
      title: 'Behind the flood',
      sellerId: 'seller',
      startingPrice: 100,
      minIncrement: 10,
      reservePrice: null,
      startsAt: null,
      endsAt: Date.now() + 3_600_000,
      antiSnipe: null,
    });
    expect(created.ok).toBe(true);
    expect(await fx.redis.hlen(auctionKeys(id).outbox)).toBe(1);
    const counts = await resendOutbox(
      {
        outboxes: new RedisOutboxes(fx.redis, new OutboxIndex(fx.redis)),
        publisher: new SqsEventPublisher(fx.sqs, {
          persistQueueUrl: fx.persistQueueUrl,
          fanoutQueueUrl: fx.fanoutQueueUrl,
        }),
        logger: quietLogger,
      },
      { ...DEFAULT_RESEND_SETTINGS, resendAfterMs: 0, releaseAfterMs: 60_000 },
    );
    expect(counts.entities).toBeGreaterThan(6_000);
    expect(await fx.redis.hlen(auctionKeys(id).outbox)).toBe(0);
    // The ghosts (empty outboxes, old intents) are released on the way.
    expect(counts.released).toBeGreaterThanOrEqual(6_000);
  });
});

describe('the PostgreSQL archives cache misses briefly', () => {
  let sql: Sql;
  beforeAll(() => {
    sql = testSql(inject('databaseUrl'));
  });
  afterAll(() => sql.end());

  /** The same client, counting the queries made through it. */
  const counting = () => {
    const counter = { queries: 0 };
    const proxy = new Proxy(sql, {
      apply(target, thisArg, args) {
        counter.queries++;
        return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, thisArg, args);
      },
    });
    return { counter, sql: proxy };
  };

  it('asks PostgreSQL once per unknown id within the cache time, and again after it', async () => {
    let clock = 1_000_000;
    const { counter, sql: counted } = counting();
    const auctions = new PostgresAuctionArchive(
      counted,
      undefined,
      new MissCache(5_000, 10_000, () => clock),
    );
    const products = new PostgresProductArchive(
      counted,
      undefined,
      new MissCache(5_000, 10_000, () => clock),
    );
    for (let i = 0; i < 100; i++) {
      expect(await auctions.find('unknown-auction')).toBeNull();
      expect(await products.find('unknown-product')).toBeNull();
    }
    expect(counter.queries).toBe(2);
    clock += 5_001;
    expect(await auctions.find('unknown-auction')).toBeNull();
    expect(counter.queries).toBe(3);
  });
});
