/**
 * Issue 19 item 5: settled orders and their `{o:ID}` pointers leave Redis once PostgreSQL holds
 * them, reads fall back to PostgreSQL, and a reserve-then-cancel loop does not grow Redis.
 * Through the HTTP composition root, the writer on real SQS + PostgreSQL and the sweeper's job.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { productKeys, SETTLED_ORDERS_KEY } from '../functions/adapters/redis/redis-keys.js';
import { composeHttpApp } from '../functions/http/compose.js';
import { composeSweeper } from '../functions/sweeper/compose.js';
import { ageOutOrdersJob } from '../functions/sweeper/jobs/age-out-orders.js';
import { appCaller, type Json } from './support/app-caller.js';
import { recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';
import { signedWebhookHeaders, TEST_WEBHOOK_SECRET } from './support/webhooks.js';

const LOOPS = 100;

describe('settled orders age out of Redis once PostgreSQL has them', () => {
  let sql: Sql;
  let redis: RedisClient;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let http: Awaited<ReturnType<typeof composeHttpApp>>;
  let sweeper: Awaited<ReturnType<typeof composeSweeper>>;
  let admin: string;
  let alice: string;

  beforeAll(async () => {
    const redisUrl = `${inject('redisUrl')}/7`;
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: redisUrl, cluster: false });
    await redis.flushdb();
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    const env = pipeline.env({
      REDIS_URL: redisUrl,
      DATABASE_URL: inject('databaseUrl'),
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      ORDER_RATE_LIMIT: '0',
    });
    http = await composeHttpApp(recordingLogger(), env);
    sweeper = await composeSweeper(recordingLogger(), env);
    sweeper.deps.ageOutOrders = { afterMs: 0, batch: 500 };
    admin = await tokenFor('admin-1', { admin: true });
    alice = await tokenFor('alice');
  });
  afterAll(async () => {
    await pipeline.close();
    await http.close();
    await sweeper.close();
    await sql.end();
    await redis.quit();
  });

  const call = appCaller(() => http.app);
  const webhook = (body: Json) =>
    call('/payments/webhook', { method: 'POST', body, headers: signedWebhookHeaders(JSON.stringify(body)) });
  const drain = () => pipeline.drainPersist();
  const product = async (body: Json = {}) => {
    const created = await call('/products', {
      method: 'POST',
      token: admin,
      body: { name: 'Sneaker', price: 5_000, stock: 5, perUserLimit: 2, ...body },
    });
    expect(created.status).toBe(201);
    return created.json.product.id as string;
  };
  const reserve = async (productId: string) => {
    const reserved = await call('/orders', { method: 'POST', token: alice, body: { productId, qty: 1 } });
    expect(reserved.status).toBe(201);
    return reserved.json.order as Json;
  };
  /**
   * Keys that stay until something deletes them. A deciding run's record (`{p:ID}:run:...`, issue 24
   * item 1: a resent command repeats its first run) expires by itself after 5 minutes, so it is
   * counted apart: each must carry that expiry.
   */
  const lastingKeys = async () => {
    let lasting = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
      keys.forEach((key, index) => {
        const ttl = ttls[index] as number;
        if (key.includes(':run:')) expect(ttl, key).toBeGreaterThan(0);
        else if (ttl === -1) lasting += 1;
      });
    } while (cursor !== '0');
    return lasting;
  };
  const footprint = async (productId: string) => ({
    keys: await lastingKeys(),
    orders: await redis.hlen(productKeys(productId).orders),
    settled: await redis.zcard(SETTLED_ORDERS_KEY),
  });

  it('a reserve-then-cancel loop leaves Redis as it found it once the sweeper ran', {
    timeout: 180_000,
  }, async () => {
    const productId = await product();
    await reserve(productId).then((order) =>
      call(`/orders/${order.id}/cancel`, { method: 'POST', token: alice }),
    );
    await drain();
    await ageOutOrdersJob.run(sweeper.deps);
    const before = await footprint(productId);
    let last: Json = {};
    for (let i = 0; i < LOOPS; i++) {
      last = await reserve(productId);
      expect((await call(`/orders/${last.id}/cancel`, { method: 'POST', token: alice })).status).toBe(200);
    }
    const grown = await footprint(productId);
    expect(grown.orders).toBe(before.orders + LOOPS);
    expect(grown.keys).toBeGreaterThanOrEqual(before.keys + LOOPS);

    await drain();
    expect(await ageOutOrdersJob.run(sweeper.deps)).toMatchObject({ due: LOOPS, evicted: LOOPS });
    const after = await footprint(productId);
    expect(after).toEqual(before);
    expect(after.orders).toBe(0);

    // Reads fall back to PostgreSQL, with the same answers.
    const read = await call(`/orders/${last.id}`, { token: alice });
    expect(read.status).toBe(200);
    expect(read.json.order).toMatchObject({ id: last.id, status: 'cancelled' });
    const again = await call(`/orders/${last.id}/cancel`, { method: 'POST', token: alice });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'order_not_cancellable', status: 'cancelled' });
    expect((await call(`/orders/${last.id}`, { token: await tokenFor('mallory') })).status).toBe(404);
    expect((await call(`/products/${productId}`)).json.product.available).toBe(5);
  });

  it('a paid order ages out too: it still counts for the limit, and webhooks for it are decided as before', async () => {
    const productId = await product();
    const order = await reserve(productId);
    const paid = { id: `evt-${order.id}`, type: 'payment.succeeded', orderId: order.id, amount: 5_000 };
    expect((await webhook(paid)).json.status).toBe('applied');
    await drain();
    expect(await ageOutOrdersJob.run(sweeper.deps)).toMatchObject({ evicted: 1 });
    expect((await footprint(productId)).orders).toBe(0);

    expect((await call(`/orders/${order.id}`, { token: alice })).json.order).toMatchObject({
      status: 'paid',
    });
    expect((await webhook(paid)).json.status).toBe('duplicate');
    // A second charge of the paid order: a refund is required, as for an order still in Redis.
    const second = await webhook({ ...paid, id: `evt2-${order.id}` });
    expect(second.json.status).toBe('applied');
    expect((await call(`/orders/${order.id}`, { token: alice })).json.order).toMatchObject({
      status: 'paid',
      refundRequired: true,
    });
    // perUserLimit 2: the paid unit still counts.
    await reserve(productId);
    const third = await call('/orders', { method: 'POST', token: alice, body: { productId, qty: 1 } });
    expect(third.json.error).toMatchObject({ code: 'limit_exceeded', purchased: 2 });
  });

  it('keeps a settled order whose last change PostgreSQL does not have yet', async () => {
    const productId = await product();
    const order = await reserve(productId);
    await drain();
    expect((await call(`/orders/${order.id}/cancel`, { method: 'POST', token: alice })).status).toBe(200);
    // The cancel is in the persist queue, not in PostgreSQL: Redis keeps the order.
    await ageOutOrdersJob.run(sweeper.deps);
    expect(await redis.hexists(productKeys(productId).orders, order.id)).toBe(1);
    await drain();
    await ageOutOrdersJob.run(sweeper.deps);
    expect(await redis.hexists(productKeys(productId).orders, order.id)).toBe(0);
    expect((await call(`/orders/${order.id}`, { token: alice })).json.order.status).toBe('cancelled');
  });
});
