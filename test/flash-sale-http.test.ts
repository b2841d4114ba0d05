import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { productKeys } from '../functions/adapters/redis/redis-keys.js';
import { readEnvironment } from '../functions/config.js';
import type { OrderView, ProductView } from '../functions/domain/product.js';
import { composeSweeper } from '../functions/sweeper/compose.js';
import { jobs } from '../functions/sweeper/jobs/index.js';
import { expireReservations } from '../functions/use-cases/flash-sales/expire-reservations.js';
import {
  createProduct,
  drainQueue,
  type ErrorBody,
  flashSaleDeps,
  postOrder,
  readOrder,
  readProduct,
  reserved,
  sleep,
} from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture, quietLogger } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

describe('flash sales over the HTTP API', () => {
  let fx: HttpFixture;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
    alice = await tokenFor('alice');
    bob = await tokenFor('bob');
  });
  afterAll(() => fx.close());

  it('creates a product as admin with the documented defaults and reads it back', async () => {
    const id = `sneaker-${Date.now()}`;
    const response = await fx.request('/products', {
      method: 'POST',
      token: fx.adminToken,
      body: { id, name: 'Sneaker', price: 12_000, stock: 50 },
    });
    expect(response.status).toBe(201);
    const { product } = (await response.json()) as { product: ProductView };
    expect(product).toEqual({
      id,
      name: 'Sneaker',
      price: 12_000,
      stock: 50,
      available: 50,
      perUserLimit: 1,
      saleStartsAt: expect.any(String),
      saleEndsAt: null,
      reservationTtlSeconds: 600,
      seq: 1,
    });
    expect(Math.abs(Date.parse(product.saleStartsAt) - Date.now())).toBeLessThan(5_000);
    expect(await readProduct(fx, id)).toEqual(product);
    const again = await fx.request('/products', {
      method: 'POST',
      token: fx.adminToken,
      body: { id, name: 'Sneaker', price: 12_000, stock: 50 },
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error.code).toBe('product_exists');
  });

  it('guards product creation: admin only, strict body, coherent schedule, exact money', async () => {
    const post = (body: unknown, token?: string) =>
      fx.request('/products', { method: 'POST', body, ...(token ? { token } : {}) });
    expect((await post({ name: 'x', price: 1, stock: 1 })).status).toBe(401);
    const forbidden = await post({ name: 'x', price: 1, stock: 1 }, alice);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as ErrorBody).error.code).toBe('forbidden');
    const cases: [unknown, string][] = [
      [{ name: 'x', price: 1, stock: 1, colour: 'red' }, 'colour'],
      [{ name: 'x', price: 0, stock: 1 }, 'price'],
      [{ name: 'x', price: 1.5, stock: 1 }, 'price'],
      [{ name: 'x', price: 1, stock: -1 }, 'stock'],
      [{ price: 1, stock: 1 }, 'name'],
      [{ name: 'x', price: 1, stock: 1, perUserLimit: 0 }, 'perUserLimit'],
      [{ name: 'x', price: 2 ** 52, stock: 1, perUserLimit: 3 }, 'perUserLimit'],
      [{ name: 'x', price: 1, stock: 1, reservationTtlSeconds: 0 }, 'reservationTtlSeconds'],
      [{ name: 'x', price: 1, stock: 1, saleEndsAt: 'tomorrow' }, 'saleEndsAt'],
      [{ id: 'bad id!', name: 'x', price: 1, stock: 1 }, 'id'],
      [
        {
          name: 'x',
          price: 1,
          stock: 1,
          saleStartsAt: new Date(Date.now() + 60_000).toISOString(),
          saleEndsAt: new Date(Date.now() + 30_000).toISOString(),
        },
        'saleEndsAt',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await post(body, fx.adminToken);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.code).toBe('invalid_request');
      expect(error.message).toContain(field);
    }
    const missing = await fx.request('/products/nope-nothing-here');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.code).toBe('product_not_found');
  });

  it('reserves an order: 201 with the Order shape, stock taken', async () => {
    const product = await createProduct(fx, { price: 1_250, stock: 5, perUserLimit: 3 });
    const response = await postOrder(fx, alice, { productId: product.id, qty: 2 });
    expect(response.status).toBe(201);
    const { order } = (await response.json()) as { order: OrderView };
    expect(order).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{29}$/),
      productId: product.id,
      userId: 'alice',
      qty: 2,
      amount: 2_500,
      status: 'reserved',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(Date.parse(order.expiresAt) - Date.parse(order.createdAt)).toBe(600_000);
    expect(await readProduct(fx, product.id)).toMatchObject({ available: 3, seq: 2 });
  });

  it('answers every refusal with its code and details', async () => {
    const expectError = async (response: Response, status: number, error: Record<string, unknown>) => {
      expect(response.status).toBe(status);
      expect(((await response.json()) as ErrorBody).error).toMatchObject(error);
    };
    await expectError(await postOrder(fx, alice, { productId: 'no-such-product', qty: 1 }), 404, {
      code: 'product_not_found',
    });
    const later = await createProduct(fx, { saleStartsAt: new Date(Date.now() + 60_000).toISOString() });
    await expectError(await postOrder(fx, alice, { productId: later.id, qty: 1 }), 409, {
      code: 'sale_not_active',
    });
    const small = await createProduct(fx, { stock: 3, perUserLimit: 2 });
    await reserved(fx, alice, small.id, 1);
    await expectError(await postOrder(fx, alice, { productId: small.id, qty: 2 }), 409, {
      code: 'limit_exceeded',
      limit: 2,
      purchased: 1,
    });
    await reserved(fx, bob, small.id, 2);
    await expectError(await postOrder(fx, alice, { productId: small.id, qty: 1 }), 409, {
      code: 'sold_out',
      available: 0,
    });
    await expectError(
      await fx.request('/orders', { method: 'POST', body: { productId: small.id, qty: 1 } }),
      401,
      {
        code: 'unauthorized',
      },
    );
    for (const body of [
      { productId: small.id },
      { productId: small.id, qty: 0 },
      { productId: small.id, qty: 1, x: 1 },
    ]) {
      await expectError(await postOrder(fx, alice, body), 400, { code: 'invalid_request' });
    }
  });

  it('replays an Idempotency-Key with the same status and body, and refuses it for another request', async () => {
    const product = await createProduct(fx, { stock: 1 });
    const key = `order-${Date.now()}`;
    const first = await postOrder(fx, alice, { productId: product.id, qty: 1 }, { 'idempotency-key': key });
    const replay = await postOrder(fx, alice, { productId: product.id, qty: 1 }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(await replay.json()).toEqual(await first.json());
    expect((await readProduct(fx, product.id)).available).toBe(0);
    // A refusal is replayed too.
    const refusedKey = `${key}-refused`;
    const refused = await postOrder(
      fx,
      bob,
      { productId: product.id, qty: 1 },
      { 'idempotency-key': refusedKey },
    );
    const refusedAgain = await postOrder(
      fx,
      bob,
      { productId: product.id, qty: 1 },
      { 'idempotency-key': refusedKey },
    );
    expect([refused.status, refusedAgain.status]).toEqual([409, 409]);
    expect(await refusedAgain.json()).toEqual(await refused.json());
    const other = await createProduct(fx);
    const reused = await postOrder(fx, alice, { productId: other.id, qty: 1 }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as ErrorBody).error.code).toBe('idempotency_key_reused');
    expect((await readProduct(fx, other.id)).available).toBe(10);
  });

  it('rate-limits reservations per user per product with Retry-After', async () => {
    const limited = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      orderRateLimit: 3,
    });
    try {
      const product = await createProduct(limited, { stock: 0 });
      const statuses = [];
      let last: Response | undefined;
      for (let index = 0; index < 5; index++) {
        last = await postOrder(limited, alice, { productId: product.id, qty: 1 });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([409, 409, 409, 429, 429]);
      if (!last) throw new Error('no response');
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const { error } = (await last.json()) as ErrorBody;
      expect(error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    } finally {
      await limited.close();
    }
  });

  it('shows an order to its owner and to admins only', async () => {
    const product = await createProduct(fx);
    const order = await reserved(fx, alice, product.id);
    expect(await readOrder(fx, alice, order.id)).toEqual(order);
    expect(await readOrder(fx, fx.adminToken, order.id)).toEqual(order);
    const other = await fx.request(`/orders/${order.id}`, { token: bob });
    expect(other.status).toBe(404);
    expect(((await other.json()) as ErrorBody).error.code).toBe('order_not_found');
    expect((await fx.request('/orders/01ARZ3NDEKTSV4RRFFQ69G5FAVxyz', { token: alice })).status).toBe(404);
    expect((await fx.request('/orders/bad%20id', { token: alice })).status).toBe(400);
    expect((await fx.request(`/orders/${order.id}`)).status).toBe(401);
  });

  it('cancels for the owner only, returning the stock once', async () => {
    const product = await createProduct(fx, { stock: 2, perUserLimit: 2 });
    const order = await reserved(fx, alice, product.id, 2);
    expect((await fx.request(`/orders/${order.id}/cancel`, { method: 'POST', token: bob })).status).toBe(404);
    const cancel = await fx.request(`/orders/${order.id}/cancel`, { method: 'POST', token: alice });
    expect(cancel.status).toBe(200);
    expect(((await cancel.json()) as { order: OrderView }).order).toMatchObject({
      id: order.id,
      status: 'cancelled',
    });
    expect(await readProduct(fx, product.id)).toMatchObject({ available: 2 });
    const again = await fx.request(`/orders/${order.id}/cancel`, { method: 'POST', token: alice });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error).toMatchObject({
      code: 'order_not_cancellable',
      status: 'cancelled',
    });
    expect(await readProduct(fx, product.id)).toMatchObject({ available: 2 });
  });

  it('expires unpaid reservations: the order reads expired at once, the sweeper job returns the stock', async () => {
    const product = await createProduct(fx, { stock: 3, reservationTtlSeconds: 1 });
    const order = await reserved(fx, alice, product.id);
    await sleep(1_100);
    expect((await readOrder(fx, alice, order.id)).status).toBe('expired');
    const deps = flashSaleDeps(fx);
    const summary = await expireReservations(deps);
    expect(summary.expired).toBeGreaterThanOrEqual(1);
    expect(await readProduct(fx, product.id)).toMatchObject({ available: 3, seq: 3 });
    await expireReservations(deps);
    expect(await readProduct(fx, product.id)).toMatchObject({ available: 3, seq: 3 });
    const cancel = await fx.request(`/orders/${order.id}/cancel`, { method: 'POST', token: alice });
    expect(cancel.status).toBe(409);
    expect(await fx.redis.zscore('products:by-next-expiry', product.id)).not.toBeNull();
  });

  it('runs as the sweeper job expire-reservations on the sweeper composition root', async () => {
    const job = jobs.find((candidate) => candidate.name === 'expire-reservations');
    if (!job) throw new Error('expire-reservations is not registered');
    const sweeper = await composeSweeper(
      quietLogger,
      readEnvironment({
        REDIS_URL: inject('redisUrl'),
        PERSIST_QUEUE_URL: fx.persistQueueUrl,
        FANOUT_QUEUE_URL: fx.fanoutQueueUrl,
        SQS_ENDPOINT: inject('sqsEndpoint'),
      }),
    );
    try {
      const product = await createProduct(fx, { stock: 2, reservationTtlSeconds: 1 });
      await reserved(fx, alice, product.id);
      await sleep(1_100);
      expect(await job.run(sweeper.deps)).toMatchObject({ expired: expect.any(Number) });
      expect(await readProduct(fx, product.id)).toMatchObject({ available: 2 });
    } finally {
      await sweeper.close();
    }
  });

  it('sends every product event to the persist and fan-out queues and empties the outbox', async () => {
    await drainQueue(fx, fx.persistQueueUrl);
    await drainQueue(fx, fx.fanoutQueueUrl);
    const product = await createProduct(fx);
    const order = await reserved(fx, alice, product.id);
    await fx.request(`/orders/${order.id}/cancel`, { method: 'POST', token: alice });
    const ids = (events: { eventId: string }[]) =>
      events
        .map((event) => event.eventId)
        .filter((id) => id.startsWith(`p:${product.id}:`))
        .sort();
    const expected = [1, 2, 3].map((seq) => `p:${product.id}:${seq}`);
    expect(ids(await drainQueue(fx, fx.persistQueueUrl))).toEqual(expected);
    expect(ids(await drainQueue(fx, fx.fanoutQueueUrl))).toEqual(expected);
    expect(await fx.redis.hlen(productKeys(product.id).outbox)).toBe(0);
  });
});
