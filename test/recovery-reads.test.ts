/**
 * Guarantee 5 for every read of something that belongs to an entity Redis lost (issue 13): right
 * after a Redis flush, each read answers the truth or 503 + Retry-After, never a 404 for something
 * PostgreSQL (or the persist queue) still holds; after the rebuild, 200 with the same answer as
 * before the loss. Through the real HTTP composition root and the ws function's composition root,
 * with the writer drained and with events still in flight.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { composeHttpApp } from '../functions/http/compose.js';
import type { ConnectionMessenger } from '../functions/realtime/ports.js';
import { handleMessage } from '../functions/realtime/use-cases/connection-events.js';
import { composeWs } from '../functions/ws/compose.js';
import { appCaller, createLot, type Json } from './support/app-caller.js';
import { recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { queueDepth, waitFor } from './support/sqs-event-source.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';
import { signedWebhookHeaders, TEST_WEBHOOK_SECRET } from './support/webhooks.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Long enough to see the fence, short enough for a test. */
const SETTLE_MS = 1_500;

describe('reads of entities Redis lost (issue 13)', () => {
  let sql: Sql;
  let redis: RedisClient;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let http: Awaited<ReturnType<typeof composeHttpApp>>;
  let ws: Awaited<ReturnType<typeof composeWs>>;
  let admin: string;
  const users: Record<string, string> = {};
  const posted: { connectionId: string; message: Json }[] = [];

  beforeAll(async () => {
    const redisUrl = `${inject('redisUrl')}/5`;
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: redisUrl, cluster: false });
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    const env = pipeline.env({
      REDIS_URL: redisUrl,
      DATABASE_URL: inject('databaseUrl'),
      RECOVERY_SETTLE_MS: String(SETTLE_MS),
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      WS_MANAGEMENT_ENDPOINT: 'http://127.0.0.1:9/unused',
      BID_RATE_LIMIT: '0',
      ORDER_RATE_LIMIT: '0',
    });
    http = await composeHttpApp(recordingLogger(), env);
    ws = await composeWs(recordingLogger(), env);
    admin = await tokenFor('admin-1', { admin: true });
    for (const name of ['alice', 'bob', 'carol', 'dave']) users[name] = await tokenFor(name);
  });
  afterAll(async () => {
    await pipeline.close();
    await http.close();
    await ws.close();
    await sql.end();
    await redis.quit();
  });
  beforeEach(async () => {
    await drain();
    await redis.flushdb();
  });

  const call = appCaller(() => http.app);
  const webhook = (body: Json) =>
    call('/payments/webhook', { method: 'POST', body, headers: signedWebhookHeaders(JSON.stringify(body)) });
  const drain = () => pipeline.drainPersist();
  /** What Redis loses: everything (FLUSHDB), as when it restarts empty. */
  const loseRedis = () => redis.flushdb();
  /** 503 with Retry-After, or 200 with the expected body: anything else (a 404 above all) fails. */
  const expectTruthOr503 = (
    answer: { status: number; headers: Headers; json: Json },
    truth: (json: Json) => void,
  ) => {
    if (answer.status === 503) {
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(answer.json.error.code).toMatch(/_unavailable$/);
    } else {
      expect(answer.status).toBe(200);
      truth(answer.json);
    }
    return answer.status;
  };
  const subscribe = async (topic: string) => {
    const connectionId = `c-${Math.random().toString(36).slice(2)}`;
    const messenger: ConnectionMessenger = {
      post: async (id, data) => {
        posted.push({ connectionId: id, message: JSON.parse(Buffer.from(data).toString('utf8')) as Json });
        return 'delivered';
      },
    };
    await handleMessage(
      { ...ws.deps, messenger },
      { connectionId, connectedAt: Date.now() },
      JSON.stringify({ action: 'subscribe', topic }),
      false,
    );
    return posted.filter((entry) => entry.connectionId === connectionId).map((entry) => entry.message);
  };

  async function productWithOrders() {
    const created = await call('/products', {
      method: 'POST',
      token: admin,
      body: { name: 'Sneaker', price: 5_000, stock: 10 },
    });
    expect(created.status).toBe(201);
    const productId = created.json.product.id as string;
    const orders: Record<string, Json> = {};
    for (const name of ['alice', 'bob', 'carol']) {
      const reserved = await call('/orders', {
        method: 'POST',
        token: users[name],
        body: { productId, qty: 1 },
      });
      expect(reserved.status).toBe(201);
      orders[name] = reserved.json.order;
    }
    const paid = await webhook({
      id: `evt-${productId}`,
      type: 'payment.succeeded',
      orderId: orders.bob?.id,
      amount: 5_000,
    });
    expect(paid.json.status).toBe('applied');
    const cancelled = await call(`/orders/${orders.carol?.id}/cancel`, {
      method: 'POST',
      token: users.carol,
    });
    expect(cancelled.status).toBe(200);
    return { productId, orders };
  }

  /** Empties the DLQ (as a redrive would, once its events are fixed and persisted). */
  const redriveDlqAway = async () => {
    for (;;) {
      const { Messages = [] } = await pipeline.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: pipeline.persist.dlqUrl, MaxNumberOfMessages: 10 }),
      );
      if (Messages.length === 0) return;
      for (const message of Messages)
        await pipeline.sqs.send(
          new DeleteMessageCommand({
            QueueUrl: pipeline.persist.dlqUrl,
            ReceiptHandle: message.ReceiptHandle,
          }),
        );
    }
  };
  const readOrder = (name: string, orderId: string) => call(`/orders/${orderId}`, { token: users[name] });

  it('orders of a lost product: 503 + Retry-After while fenced (never 404), then 200 with the same status', async () => {
    const { productId, orders } = await productWithOrders();
    const before: Record<string, Json> = Object.fromEntries(
      await Promise.all(
        Object.entries(orders).map(async ([name, order]) => [
          name,
          (await readOrder(name, order.id)).json.order,
        ]),
      ),
    );
    expect(Object.values(before).map((order) => order.status)).toEqual(['reserved', 'paid', 'cancelled']);
    await drain();
    await loseRedis();

    for (const [name, order] of Object.entries(orders)) {
      const answer = await readOrder(name, order.id);
      expect(answer.status).not.toBe(404);
      expectTruthOr503(answer, (json) => expect(json.order).toEqual(before[name]));
    }
    // Everything else that belongs to the product is fenced too, never "not found".
    const product = await call(`/products/${productId}`);
    expect(product.status).toBe(503);
    expect(product.headers.get('retry-after')).toBe('5');
    const cancel = await call(`/orders/${orders.alice?.id}/cancel`, { method: 'POST', token: users.alice });
    expect(cancel.status).toBe(503);
    expect(cancel.headers.get('retry-after')).toBeTruthy();
    const payment = await webhook({
      id: `evt2-${productId}`,
      type: 'payment.succeeded',
      orderId: orders.alice?.id,
      amount: 5_000,
    });
    expect(payment.status).toBe(503);
    expect(payment.headers.get('retry-after')).toBeTruthy();
    expect((await subscribe(`product:${productId}`)).at(-1)).toMatchObject({
      type: 'error',
      code: 'temporarily_unavailable',
    });
    // Another user still cannot see it, and an id nobody ever made stays a 404.
    expect((await readOrder('dave', orders.alice?.id)).status).not.toBe(200);
    expect((await call('/orders/never-made', { token: users.alice })).status).toBe(404);

    await sleep(SETTLE_MS + 100);
    for (const [name, order] of Object.entries(orders)) {
      const answer = await readOrder(name, order.id);
      expect(answer.status).toBe(200);
      expect(answer.json.order).toEqual(before[name]);
    }
    expect((await subscribe(`product:${productId}`))[0]).toMatchObject({
      type: 'subscribed',
      snapshot: { id: productId, available: 8 },
    });
    // The cancel and the payment that were refused with 503 are decided on the rebuilt state.
    expect(
      (await call(`/orders/${orders.alice?.id}/cancel`, { method: 'POST', token: users.alice })).json.order,
    ).toMatchObject({ status: 'cancelled' });
    expect((await readOrder('dave', orders.alice?.id)).status).toBe(404);
  });

  it('orders whose events were still in flight when Redis lost them: 503, never 404, then 200', async () => {
    const { orders } = await productWithOrders();
    await drain();
    // In the persist queue, not persisted: a payment of alice's order and a new order of dave.
    const paid = await webhook({
      id: `evt-late-${orders.alice?.id}`,
      type: 'payment.succeeded',
      orderId: orders.alice?.id,
      amount: 5_000,
    });
    expect(paid.json.status).toBe('applied');
    const late = await call('/orders', {
      method: 'POST',
      token: users.dave,
      body: { productId: orders.alice?.productId, qty: 1 },
    });
    expect(late.status).toBe(201);
    await loseRedis();

    for (const [name, orderId] of [
      ['alice', orders.alice?.id],
      ['dave', late.json.order.id],
    ] as const) {
      const answer = await readOrder(name, orderId);
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(
      (await call(`/orders/${late.json.order.id}/cancel`, { method: 'POST', token: users.dave })).status,
    ).toBe(503);

    await drain();
    await sleep(SETTLE_MS + 100);
    expect((await readOrder('alice', orders.alice?.id)).json.order).toMatchObject({ status: 'paid' });
    expect((await readOrder('dave', late.json.order.id)).json.order).toEqual(late.json.order);
  });

  async function auctionWithBids() {
    const id = await createLot(call, admin);
    for (const [name, amount] of [
      ['alice', 1_000],
      ['bob', 1_100],
    ] as const) {
      expect(
        (await call(`/auctions/${id}/bids`, { method: 'POST', token: users[name], body: { amount } })).status,
      ).toBe(201);
    }
    return id;
  }

  it('a lost open auction: bids, events, the auction and a subscribe answer 503 while fenced, then the same as before', async () => {
    const id = await auctionWithBids();
    const before = {
      auction: (await call(`/auctions/${id}`)).json,
      bids: (await call(`/auctions/${id}/bids`)).json,
      events: (await call(`/auctions/${id}/events?since=0`)).json,
    };
    expect(before.bids.bids).toHaveLength(2);
    await drain();
    await loseRedis();

    for (const path of [`/auctions/${id}/bids`, `/auctions/${id}/events?since=0`, `/auctions/${id}`]) {
      const answer = await call(path);
      expect(answer.status).toBe(503);
      expect(answer.json.error.code).toBe('auction_unavailable');
      expect(answer.headers.get('retry-after')).toBe('5');
    }
    expect((await subscribe(`auction:${id}`)).at(-1)).toMatchObject({
      type: 'error',
      code: 'temporarily_unavailable',
    });
    expect((await subscribe('auction:never-existed')).at(-1)).toMatchObject({ code: 'auction_not_found' });

    await sleep(SETTLE_MS + 100);
    expect((await call(`/auctions/${id}/bids`)).json).toEqual(before.bids);
    expect((await call(`/auctions/${id}/events?since=0`)).json).toEqual(before.events);
    expect((await call(`/auctions/${id}`)).json.auction).toMatchObject({
      seq: before.auction.auction.seq,
      currentPrice: 1_100,
    });
    expect((await subscribe(`auction:${id}`))[0]).toMatchObject({
      type: 'subscribed',
      snapshot: { id, currentPrice: 1_100 },
    });
  });

  it('a lost open auction with a bid in flight: 503 until it is persisted, then its bids and events include it', async () => {
    const id = await auctionWithBids();
    await drain();
    const late = await call(`/auctions/${id}/bids`, {
      method: 'POST',
      token: users.carol,
      body: { amount: 1_500 },
    });
    expect(late.status).toBe(201);
    await loseRedis();
    expect((await call(`/auctions/${id}/bids`)).status).toBe(503);
    expect((await call(`/auctions/${id}/events?since=2`)).status).toBe(503);
    expect((await subscribe(`auction:${id}`)).at(-1)).toMatchObject({ code: 'temporarily_unavailable' });

    await drain();
    await sleep(SETTLE_MS + 100);
    const bids = await call(`/auctions/${id}/bids`);
    expect(bids.status).toBe(200);
    expect(bids.json.bids.map((bid: Json) => bid.amount)).toEqual([1_500, 1_100, 1_000]);
    const events = await call(`/auctions/${id}/events?since=3`);
    expect(events.json.events.map((event: Json) => [event.seq, event.type])).toEqual([[4, 'bid.accepted']]);
  });

  it('webhook de-duplication and Idempotency-Key decisions survive the rebuild (issue 19 item 3)', async () => {
    const created = await call('/products', {
      method: 'POST',
      token: admin,
      body: { name: 'Sneaker', price: 5_000, stock: 10 },
    });
    const productId = created.json.product.id as string;
    const reserve = (token: string | undefined, key: string) =>
      call('/orders', {
        method: 'POST',
        token,
        body: { productId, qty: 1 },
        headers: { 'idempotency-key': key },
      });
    const first = await reserve(users.alice, 'k-1');
    expect(first.status).toBe(201);
    const paidEvent = {
      id: `evt-dedupe-${productId}`,
      type: 'payment.succeeded',
      orderId: first.json.order.id,
      amount: 5_000,
    };
    expect((await webhook(paidEvent)).json.status).toBe('applied');
    const kept = await reserve(users.bob, 'k-2');
    await drain();
    await loseRedis();
    // The first request after the loss raises the fence; the rebuild follows the settle time.
    expect((await webhook(paidEvent)).status).toBe(503);
    await sleep(SETTLE_MS + 100);

    // The provider retries the applied event: no second effect, no refund flag.
    const retried = await webhook(paidEvent);
    expect(retried.status).toBe(200);
    expect(retried.json.status).toBe('duplicate');
    expect((await readOrder('alice', first.json.order.id)).json.order).toMatchObject({ status: 'paid' });
    expect((await readOrder('alice', first.json.order.id)).json.order.refundRequired).toBeUndefined();
    // The client retries its reservation: the same order (same body), not a second one.
    const replay = await reserve(users.bob, 'k-2');
    expect(replay.status).toBe(201);
    expect(replay.json).toEqual(kept.json);
    expect((await call(`/products/${productId}`)).json.product.available).toBe(8);
    // The same key with another body is still a reuse.
    const reused = await call('/orders', {
      method: 'POST',
      token: users.bob,
      body: { productId, qty: 2 },
      headers: { 'idempotency-key': 'k-2' },
    });
    expect(reused.status).toBe(422);
  });

  it("a bid's Idempotency-Key decision survives the rebuild: the same key replays the same bid (issue 19)", async () => {
    const id = await createLot(call, admin);
    const bid = (name: string, key: string, body: Json) =>
      call(`/auctions/${id}/bids`, {
        method: 'POST',
        token: users[name],
        body,
        headers: { 'idempotency-key': key },
      });
    // A plain bid (one event), a proxy bid, and a challenger the proxy outbids (two events).
    const plain = await bid('alice', 'kb-1', { amount: 1_000 });
    const proxy = await bid('bob', 'kb-2', { amount: 1_100, maxAmount: 3_000 });
    const outbid = await bid('carol', 'kb-3', { amount: 1_500 });
    expect([plain.status, proxy.status, outbid.status]).toEqual([201, 201, 201]);
    expect(outbid.json.outbid).toBe(true);
    await drain();
    await loseRedis();
    expect((await call(`/auctions/${id}`)).status).toBe(503);
    await sleep(SETTLE_MS + 100);

    for (const [name, key, body, first] of [
      ['alice', 'kb-1', { amount: 1_000 }, plain],
      ['bob', 'kb-2', { amount: 1_100, maxAmount: 3_000 }, proxy],
      ['carol', 'kb-3', { amount: 1_500 }, outbid],
    ] as const) {
      const replay = await bid(name, key, body);
      expect(replay.status).toBe(201);
      expect(replay.json).toEqual(first?.json);
    }
    // No second bid: the auction is as it was (bob leads at 1,600 after four bids).
    expect((await call(`/auctions/${id}`)).json.auction).toMatchObject({
      seq: 5,
      bidCount: 4,
      currentPrice: 1_600,
      leaderId: 'bob',
    });
    expect((await bid('alice', 'kb-1', { amount: 2_000 })).status).toBe(422);
  });

  it('a poison message of another entity, in the queue and then in the DLQ, holds a lost product back only while it is retried', async () => {
    const { orders } = await productWithOrders();
    const productId = orders.alice?.productId as string;
    await drain();
    await loseRedis();
    const poison = await pipeline.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.persist.queueUrl,
        MessageBody: '{"not":"an event"}',
        MessageAttributes: { entity: { DataType: 'String', StringValue: 'product:someone-else' } },
      }),
    );
    expect((await readOrder('alice', orders.alice?.id)).status).toBe(503);
    // The writer refuses it on every receive; after maxReceiveCount (3 here) SQS dead-letters it.
    await drain();
    await waitFor(
      () => queueDepth(pipeline.sqs, pipeline.persist.dlqUrl),
      (depth) => depth === 1,
    );
    await sleep(SETTLE_MS + 100);
    const rebuilt = await readOrder('alice', orders.alice?.id);
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.json.order.status).toBe('reserved');

    // A dead letter of the lost entity itself still holds it back: its event is not persisted.
    await loseRedis();
    await pipeline.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.persist.dlqUrl,
        MessageBody: '{"also":"poison"}',
        MessageAttributes: { entity: { DataType: 'String', StringValue: `product:${productId}` } },
      }),
    );
    expect((await readOrder('alice', orders.alice?.id)).status).toBe(503);
    await sleep(SETTLE_MS + 100);
    expect((await readOrder('alice', orders.alice?.id)).status).toBe(503);
    await redriveDlqAway();
    await sleep(1_100);
    expect((await readOrder('alice', orders.alice?.id)).status).toBe(200);
    expect(poison.MessageId).toBeTruthy();
  });
});
