import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createOpenApiDocument } from '../functions/api/openapi.js';
import { composeHttpApp } from '../functions/http/compose.js';
import { queueSettings } from '../lib/config/event-sources.js';
import { responseSchema, schemaChecker } from './support/openapi.js';
import { recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { createTestDatabase, type TestDatabase } from './support/postgres-database.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';
import { TEST_WEBHOOK_SECRET } from './support/webhooks.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
type Json = Record<string, any>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

/**
 * Browse and my activity (API.md v1.1) through the real pipeline: the HTTP composition root on real
 * Redis and the real SQS protocol, the persist queue consumed by the writer with the deployed event
 * source settings (batch size, 1 s batching window), real PostgreSQL (a database of its own, so the
 * listings hold exactly what these tests made).
 */
describe('listings from the PostgreSQL read model', () => {
  let database: TestDatabase;
  let sql: Sql;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let http: Awaited<ReturnType<typeof composeHttpApp>>;
  let admin: string;
  let alice: string;

  beforeAll(async () => {
    database = await createTestDatabase('live_sale_browse');
    sql = testSql(database.url);
    pipeline = await createPipeline(inject('sqsEndpoint'), sql, {
      batchSize: queueSettings.persist.batchSize,
      maxBatchingWindowMs: queueSettings.persist.maxBatchingWindowMs,
      waitTimeSeconds: 0,
    });
    http = await composeHttpApp(
      recordingLogger(),
      pipeline.env({
        REDIS_URL: `${inject('redisUrl')}/7`,
        DATABASE_URL: database.url,
        JWT_SECRET: TEST_JWT_SECRET,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        BID_RATE_LIMIT: '0',
        ORDER_RATE_LIMIT: '0',
        USER_RATE_LIMIT: '0',
      }),
    );
    await pipeline.source.start();
    [admin, alice] = await Promise.all([tokenFor('admin-1', { admin: true }), tokenFor('alice')]);
  });
  afterAll(async () => {
    await pipeline?.close();
    await http?.close();
    await sql?.end();
    await database?.drop();
  });

  const call = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const response = await http.app.request(path, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const createAuction = async (body: Record<string, unknown>) => {
    const created = await call('/auctions', {
      method: 'POST',
      token: admin,
      body: { title: 'Listed lot', startingPrice: 1_000, minIncrement: 100, ...body },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.auction as Json;
  };
  const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
  /** Polls until `found` holds; returns the milliseconds it took. */
  const within = async (ms: number, probe: () => Promise<boolean>) => {
    const started = performance.now();
    while (!(await probe())) {
      if (performance.now() - started > ms) throw new Error(`not visible within ${ms} ms`);
      await sleep(10);
    }
    return performance.now() - started;
  };
  // Every page is checked against the OpenAPI document: the listings answer what it says.
  const document = createOpenApiDocument();
  const check = schemaChecker(document);
  const conforms = (path: string, body: unknown) => {
    const template = path.split('?')[0] as string;
    expect(check(responseSchema(document, 'GET', template, 200), body), path).toEqual([]);
  };
  const everyPage = async (path: string, token?: string) => {
    const items: Json[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await call(
        cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`,
        token ? { token } : {},
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      conforms(path, page.body);
      const [list] = Object.values(page.body).filter(Array.isArray) as Json[][];
      items.push(...(list as Json[]));
      cursor = page.body.next;
    } while (cursor !== null);
    return items;
  };

  it('lists an open auction soon after its creation and its bid count within 2 s of a bid, ending soonest first', async () => {
    const creationLag: number[] = [];
    const bidLag: number[] = [];
    const openList = async () => (await call('/auctions?status=open&limit=100')).body.auctions as Json[];
    for (let i = 0; i < 6; i++) {
      // Each one ends sooner than the previous: it must appear first.
      const auction = await createAuction({ endsAt: inMinutes(60 - i) });
      creationLag.push(await within(2_000, async () => (await openList())[0]?.id === auction.id));
      const bid = await call(`/auctions/${auction.id}/bids`, {
        method: 'POST',
        token: alice,
        body: { amount: 1_000 },
      });
      expect(bid.status).toBe(201);
      bidLag.push(
        await within(2_000, async () => {
          const listed = (await openList()).find((item) => item.id === auction.id);
          return listed?.bidCount === 1 && listed.seq === bid.body.auction.seq;
        }),
      );
    }
    const listed = await openList();
    expect(listed).toHaveLength(6);
    const ends = listed.map((item) => Date.parse(item.endsAt));
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    expect(listed.every((item) => item.status === 'open' && item.currentPrice === 1_000)).toBe(true);
    const summary = (values: number[]) =>
      `p50 ${percentile(values, 50).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms`;
    console.log(
      `read-model lag (HTTP -> SQS persist -> writer, window ${queueSettings.persist.maxBatchingWindowMs} ms -> PostgreSQL -> GET /auctions): ` +
        `creation ${summary(creationLag)}; bid count ${summary(bidLag)} (n=${creationLag.length} each)`,
    );
    expect(Math.max(...bidLag)).toBeLessThan(2_000);
  });

  it('pages every open auction exactly once while new auctions are being created', async () => {
    const before = new Set((await everyPage('/auctions?status=open&limit=100')).map((a) => a.id as string));
    const initial: string[] = [];
    for (let i = 0; i < 40; i++) {
      initial.push((await createAuction({ endsAt: inMinutes(10 + Math.random() * 600) })).id);
    }
    await within(10_000, async () => {
      const listed = new Set((await everyPage('/auctions?status=open&limit=100')).map((a) => a.id));
      return initial.every((id) => listed.has(id));
    });
    let creating = true;
    const created: string[] = [];
    const creator = (async () => {
      while (creating) {
        // Ends anywhere in the listing: before and after the pages already read.
        created.push((await createAuction({ endsAt: inMinutes(10 + Math.random() * 600) })).id);
        await sleep(20);
      }
    })();
    const seen: string[] = [];
    const pages: Json[][] = [];
    let cursor: string | null = null;
    try {
      do {
        const page = await call(`/auctions?status=open&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        pages.push(page.body.auctions);
        seen.push(...page.body.auctions.map((a: Json) => a.id));
        cursor = page.body.next;
        // Slower than the writer's lag, so auctions created meanwhile land on both sides of the cursor.
        await sleep(250);
      } while (cursor !== null);
    } finally {
      creating = false;
      await creator;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const seenSet = new Set(seen);
    for (const id of [...before, ...initial]) expect(seenSet.has(id), id).toBe(true);
    const order = pages.flat().map((a) => [Date.parse(a.endsAt), a.id] as const);
    for (let i = 1; i < order.length; i++) {
      const [prev, next] = [order[i - 1], order[i]] as [readonly [number, string], readonly [number, string]];
      expect(prev[0] < next[0] || (prev[0] === next[0] && prev[1] < next[1])).toBe(true);
    }
    // The creation really overlapped the paging: some auctions made meanwhile were listed.
    expect(created.some((id) => seenSet.has(id))).toBe(true);
    expect(pages.length).toBeGreaterThan(5);
  });

  it('reads status with the clock at read: scheduled, then closed before any sweeper ran', async () => {
    const later = await createAuction({ startsAt: inMinutes(30), endsAt: inMinutes(90) });
    const soon = await createAuction({ endsAt: new Date(Date.now() + 2_500).toISOString() });
    await within(3_000, async () => {
      const scheduled = (await call('/auctions?status=scheduled')).body.auctions as Json[];
      return scheduled.some((a) => a.id === later.id && a.status === 'scheduled');
    });
    await within(5_000, async () => {
      const closed = (await call('/auctions?status=closed')).body.auctions as Json[];
      return closed[0]?.id === soon.id && closed[0]?.status === 'closed';
    });
    const open = await everyPage('/auctions?status=open&limit=100');
    expect(open.some((a) => a.id === soon.id || a.id === later.id)).toBe(false);
  });

  it('lists active and inactive flash sales', async () => {
    const create = async (body: Json) => {
      const created = await call('/products', {
        method: 'POST',
        token: admin,
        body: { name: 'Sneaker', price: 5_000, stock: 10, ...body },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.product as Json;
    };
    const active = await create({});
    const upcoming = await create({ saleStartsAt: inMinutes(60) });
    await within(3_000, async () => {
      const [on, off] = await Promise.all([
        everyPage('/products?active=true&limit=1'),
        everyPage('/products?active=false&limit=1'),
      ]);
      return on.some((p) => p.id === active.id) && off.some((p) => p.id === upcoming.id);
    });
    const on = await everyPage('/products');
    expect(on.some((p) => p.id === upcoming.id)).toBe(false);
    expect(on.find((p) => p.id === active.id)).toMatchObject({ available: 10, stock: 10, seq: 1 });
  });

  it('shows only the caller own orders and bids, newest first, and refuses without a token', async () => {
    // Users of their own: the other tests bid as carol.
    const [carol, dave] = await Promise.all([tokenFor('carol'), tokenFor('dave')]);
    const product = (
      await call('/products', {
        method: 'POST',
        token: admin,
        body: { name: 'Flash', price: 700, stock: 10, perUserLimit: 5, reservationTtlSeconds: 1 },
      })
    ).body.product as Json;
    const reserve = async (token: string) => {
      const reserved = await call('/orders', {
        method: 'POST',
        token,
        body: { productId: product.id, qty: 1 },
      });
      expect(reserved.status, JSON.stringify(reserved.body)).toBe(201);
      return reserved.body.order as Json;
    };
    const carolFirst = await reserve(carol);
    await reserve(dave);
    const carolSecond = await reserve(carol);
    const auction = await createAuction({ endsAt: inMinutes(30) });
    for (const [token, amount] of [
      [carol, 1_000],
      [dave, 1_100],
      [carol, 1_200],
    ] as const) {
      expect(
        (await call(`/auctions/${auction.id}/bids`, { method: 'POST', token, body: { amount } })).status,
      ).toBe(201);
    }
    let orders: Json[] = [];
    await within(3_000, async () => {
      orders = await everyPage('/me/orders?limit=1', carol);
      return orders.length === 2;
    });
    expect(orders.map((o) => o.id)).toEqual([carolSecond.id, carolFirst.id]);
    expect(orders.every((o) => o.userId === 'carol' && o.amount === 700 && o.seq >= 1)).toBe(true);
    // The reservations had a 1 s TTL: read with the clock, they are expired now (no sweeper ran).
    await sleep(1_100);
    expect(((await call('/me/orders', { token: carol })).body.orders as Json[]).map((o) => o.status)).toEqual(
      ['expired', 'expired'],
    );
    const bobOrders = (await call('/me/orders', { token: dave })).body.orders as Json[];
    expect(bobOrders.map((o) => o.userId)).toEqual(['dave']);

    let aliceBids: Json[] = [];
    await within(3_000, async () => {
      aliceBids = await everyPage('/me/bids?limit=1', carol);
      return aliceBids.length === 2 && aliceBids[0]?.leading === true;
    });
    expect(aliceBids.map((b) => [b.amount, b.leading, b.bidderId, b.auctionId])).toEqual([
      [1_200, true, 'carol', auction.id],
      [1_000, true, 'carol', auction.id],
    ]);
    const bobBids = (await call('/me/bids', { token: dave })).body as Json;
    expect(bobBids.next).toBeNull();
    expect(bobBids.bids.map((b: Json) => [b.amount, b.leading])).toEqual([[1_100, false]]);

    for (const path of ['/me/orders', '/me/bids']) {
      const refused = await call(path);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
    }
  });

  it('refuses a cursor of another listing and a forged one with 400', async () => {
    await createAuction({ endsAt: inMinutes(5) });
    await createAuction({ endsAt: inMinutes(6) });
    let next: string | null = null;
    await within(3_000, async () => {
      next = (await call('/auctions?status=open&limit=1')).body.next;
      return next !== null;
    });
    const elsewhere = await call(`/auctions?status=closed&cursor=${next}`);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error).toMatchObject({ code: 'invalid_request' });
    expect(elsewhere.body.error.message).toMatch(/^cursor/);
    const forged = Buffer.from(JSON.stringify(['auctions:open', -1, 'x'])).toString('base64url');
    expect((await call(`/auctions?cursor=${forged}`)).status).toBe(400);
  });
});
