import type { Cluster } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { newOrderId } from '../functions/adapters/redis/order-ids.js';
import { orderKeys, productKeys } from '../functions/adapters/redis/redis-keys.js';
import {
  DEFAULT_PRODUCT_STORE_LIMITS,
  RedisProductStore,
} from '../functions/adapters/redis/redis-product-store.js';
import type { ProductEventPayload } from '../functions/domain/events.js';
import type { NewProduct, PaymentEvent, ReserveCommand } from '../functions/ports/product-store.js';

const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(targets)('product Lua scripts on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  let store: RedisProductStore;

  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
    store = new RedisProductStore(redis, {
      ...DEFAULT_PRODUCT_STORE_LIMITS,
      orderRateLimit: { max: 5, windowMs: 1_000 },
    });
  });
  afterAll(async () => {
    await redis.quit();
  });

  const newProduct = (overrides: Partial<NewProduct> = {}): NewProduct => ({
    id: `p-${ulid()}`,
    name: 'Sneaker',
    price: 2_500,
    stock: 10,
    perUserLimit: 2,
    saleStartsAt: null,
    saleEndsAt: null,
    reservationTtlSeconds: 600,
    ...overrides,
  });
  const created = async (overrides: Partial<NewProduct> = {}) => {
    const outcome = await store.create(newProduct(overrides));
    if (!outcome.ok) throw new Error(`create failed: ${outcome.code}`);
    return outcome.product;
  };
  const reserve = (productId: string, userId: string, qty = 1, extra: Partial<ReserveCommand> = {}) =>
    store.reserve({ productId, userId, qty, orderId: newOrderId(productId), idempotency: null, ...extra });
  const reserved = async (productId: string, userId: string, qty = 1) => {
    const outcome = await reserve(productId, userId, qty);
    if (!outcome.ok) throw new Error(`reserve failed: ${outcome.code}`);
    return outcome.order;
  };
  const pay = (productId: string, event: Partial<PaymentEvent> & { orderId: string; amount: number }) =>
    store.applyPayment(productId, { id: `evt-${ulid()}`, type: 'payment.succeeded', ...event });

  it('creates a product at seq 1 with the whole stock available, once', async () => {
    const input = newProduct();
    const first = await store.create(input);
    expect(first).toMatchObject({
      ok: true,
      product: { id: input.id, stock: 10, available: 10, seq: 1, saleEndsAt: null, perUserLimit: 2 },
    });
    if (!first.ok) return;
    expect(Math.abs(first.product.saleStartsAt - Date.now())).toBeLessThan(5_000);
    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({ eventId: `p:${input.id}:1`, type: 'product.created', seq: 1 });
    expect(await store.create(input)).toMatchObject({ ok: false, code: 'product_exists', events: [] });
  });

  it('refuses a sale that ends before it starts or in the past', async () => {
    const now = Date.now();
    expect(
      await store.create(newProduct({ saleStartsAt: now + 60_000, saleEndsAt: now + 30_000 })),
    ).toMatchObject({ ok: false, code: 'invalid_schedule', field: 'saleEndsAt' });
    expect(
      await store.create(newProduct({ saleStartsAt: now - 60_000, saleEndsAt: now - 1_000 })),
    ).toMatchObject({ ok: false, code: 'invalid_schedule' });
  });

  it('reserves atomically: stock taken, order recorded with its pointer, event in log and outbox', async () => {
    const product = await created({ price: 1_999 });
    const outcome = await reserve(product.id, 'alice', 2);
    expect(outcome).toMatchObject({
      ok: true,
      replayed: false,
      pendingPayments: false,
      product: { available: 8, seq: 2 },
      order: {
        productId: product.id,
        userId: 'alice',
        qty: 2,
        amount: 3_998,
        status: 'reserved',
        paidAt: null,
      },
    });
    if (!outcome.ok) return;
    expect(outcome.order.expiresAt - outcome.order.createdAt).toBe(600_000);
    expect(await store.productOfOrder(outcome.order.id)).toBe(product.id);
    const [event] = outcome.events;
    expect(event).toMatchObject({ eventId: `p:${product.id}:2`, type: 'order.reserved', seq: 2 });
    const payload = event?.payload as ProductEventPayload;
    expect(payload.product).toMatchObject({ available: '8', seq: '2' });
    expect(payload.order).toMatchObject({ id: outcome.order.id, amount: '3998', status: 'reserved' });
    const outbox = await redis.hkeys(productKeys(product.id).outbox);
    expect(outbox.sort()).toEqual([`p:${product.id}:1`, `p:${product.id}:2`]);
    await store.acknowledge(outcome.events);
    expect(await redis.hkeys(productKeys(product.id).outbox)).toEqual([`p:${product.id}:1`]);
  });

  it('answers product_not_found for an unknown product', async () => {
    expect(await reserve('missing-product', 'alice')).toMatchObject({ ok: false, code: 'product_not_found' });
    expect(await store.read('missing-product')).toMatchObject({ product: null, fenced: false });
  });

  it('refuses outside the sale window', async () => {
    const scheduled = await created({ saleStartsAt: Date.now() + 60_000 });
    expect(await reserve(scheduled.id, 'alice')).toMatchObject({ ok: false, code: 'sale_not_active' });
    const ending = await created({ saleEndsAt: Date.now() + 300 });
    expect(await reserve(ending.id, 'alice')).toMatchObject({ ok: true });
    await sleep(400);
    expect(await reserve(ending.id, 'bob')).toMatchObject({ ok: false, code: 'sale_not_active' });
  });

  it('counts the per-user limit over live (reserved + paid) orders only', async () => {
    const product = await created({ perUserLimit: 2, price: 100 });
    const first = await reserved(product.id, 'alice', 1);
    expect(await reserve(product.id, 'alice', 2)).toMatchObject({
      ok: false,
      code: 'limit_exceeded',
      limit: 2,
      purchased: 1,
    });
    expect(await pay(product.id, { orderId: first.id, amount: 100 })).toMatchObject({ status: 'applied' });
    const second = await reserved(product.id, 'alice', 1);
    expect(await reserve(product.id, 'alice', 1)).toMatchObject({ code: 'limit_exceeded', purchased: 2 });
    expect(await store.cancel(product.id, second.id, 'alice')).toMatchObject({ ok: true });
    expect(await reserve(product.id, 'alice', 1)).toMatchObject({ ok: true });
    // Another user has their own allowance.
    expect(await reserve(product.id, 'bob', 2)).toMatchObject({ ok: true });
  });

  it('never sells below zero and says how many are left', async () => {
    const product = await created({ stock: 3, perUserLimit: 5 });
    expect(await reserve(product.id, 'alice', 2)).toMatchObject({ ok: true });
    expect(await reserve(product.id, 'bob', 2)).toMatchObject({ ok: false, code: 'sold_out', available: 1 });
    expect(await reserve(product.id, 'bob', 1)).toMatchObject({ ok: true, product: { available: 0 } });
    expect(await reserve(product.id, 'carol', 1)).toMatchObject({
      ok: false,
      code: 'sold_out',
      available: 0,
    });
  });

  it('rate-limits per user per product with a retry hint', async () => {
    const product = await created({ stock: 0 });
    const other = await created({ stock: 0 });
    const results = [];
    for (let index = 0; index < 7; index++) results.push(await reserve(product.id, 'spammer'));
    expect(results.filter((result) => !result.ok && result.code === 'sold_out')).toHaveLength(5);
    const limited = results.at(-1);
    expect(limited).toMatchObject({ ok: false, code: 'rate_limited' });
    if (limited && !limited.ok && limited.code === 'rate_limited')
      expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(await reserve(other.id, 'spammer')).toMatchObject({ ok: false, code: 'sold_out' });
  });

  it('replays a decision for the same Idempotency-Key and refuses the key with another request', async () => {
    const product = await created();
    const idempotency = { key: 'k-1', fingerprint: 'fp-a' };
    const first = await reserve(product.id, 'alice', 1, { idempotency });
    const replay = await reserve(product.id, 'alice', 1, { idempotency });
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(replay).toMatchObject({ ok: true, replayed: true });
    if (!first.ok || !replay.ok) return;
    expect(replay.order).toEqual(first.order);
    expect(replay.now).toBe(first.now);
    expect(
      await reserve(product.id, 'alice', 2, { idempotency: { key: 'k-1', fingerprint: 'fp-b' } }),
    ).toMatchObject({ ok: false, code: 'idempotency_key_reused' });
    expect((await store.read(product.id)).product?.available).toBe(9);
  });

  it('lets only the owner cancel a reserved order, once, returning its units', async () => {
    const product = await created();
    const order = await reserved(product.id, 'alice', 2);
    expect(await store.cancel(product.id, order.id, 'bob')).toMatchObject({
      ok: false,
      code: 'order_not_found',
    });
    const cancelled = await store.cancel(product.id, order.id, 'alice');
    expect(cancelled).toMatchObject({ ok: true, order: { status: 'cancelled' }, product: { available: 10 } });
    expect(cancelled.events.map((event) => event.type)).toEqual(['order.cancelled']);
    expect(await store.cancel(product.id, order.id, 'alice')).toMatchObject({
      ok: false,
      code: 'order_not_cancellable',
      product: { available: 10 },
    });
  });

  it('expires overdue reservations exactly once; an expired order cannot be paid or cancelled', async () => {
    const product = await created({ reservationTtlSeconds: 1, price: 700 });
    const order = await reserved(product.id, 'alice', 2);
    const read = await store.read(product.id, order.id);
    expect(read.order?.status).toBe('reserved');
    await sleep(1_100);
    const expiry = await store.expireOverdue(product.id);
    expect(expiry).toMatchObject({ ok: true, expired: 1 });
    expect(expiry.events.map((event) => event.type)).toEqual(['order.expired']);
    expect(await store.expireOverdue(product.id)).toMatchObject({ ok: true, expired: 0, events: [] });
    expect((await store.read(product.id)).product).toMatchObject({ available: 10, seq: 3 });
    expect(await store.cancel(product.id, order.id, 'alice')).toMatchObject({
      code: 'order_not_cancellable',
    });
    const late = await pay(product.id, { orderId: order.id, amount: 1_400 });
    expect(late).toMatchObject({
      ok: true,
      status: 'applied',
      order: { status: 'expired', refundRequired: true },
      payment: { outcome: 'refund' },
      product: { available: 10 },
    });
  });

  it('expires overdue reservations before deciding a new one, so their stock is back', async () => {
    const product = await created({ stock: 1, reservationTtlSeconds: 1, perUserLimit: 1 });
    await reserved(product.id, 'alice');
    expect(await reserve(product.id, 'bob')).toMatchObject({ code: 'sold_out' });
    await sleep(1_100);
    const outcome = await reserve(product.id, 'bob');
    expect(outcome).toMatchObject({ ok: true, product: { available: 0 } });
    expect(outcome.events.map((event) => event.type)).toEqual(['order.expired', 'order.reserved']);
    // And alice's allowance is free again.
    expect(await reserve(product.id, 'alice')).toMatchObject({ code: 'sold_out' });
  });

  it('applies payments: succeeded -> paid, failed -> cancelled with stock back, duplicates ignored', async () => {
    const product = await created({ price: 1_000, perUserLimit: 3 });
    const a = await reserved(product.id, 'alice', 1);
    const b = await reserved(product.id, 'alice', 2);
    const paid = await pay(product.id, { id: 'evt-a', orderId: a.id, amount: 1_000 });
    expect(paid).toMatchObject({
      ok: true,
      status: 'applied',
      order: { status: 'paid' },
      payment: { outcome: 'paid' },
    });
    expect(paid.events.map((event) => event.type)).toEqual(['order.paid']);
    if (paid.ok && paid.status === 'applied') expect(paid.order.paidAt).toBeGreaterThan(0);
    expect(await pay(product.id, { id: 'evt-a', orderId: a.id, amount: 1_000 })).toMatchObject({
      status: 'duplicate',
      events: [],
    });
    const failed = await pay(product.id, {
      id: 'evt-b',
      type: 'payment.failed',
      orderId: b.id,
      amount: 2_000,
    });
    expect(failed).toMatchObject({
      status: 'applied',
      order: { status: 'cancelled' },
      product: { available: 9 },
    });
    // Out of order: a failure reported after the success changes nothing, paid stays paid.
    const lateFailure = await pay(product.id, { type: 'payment.failed', orderId: a.id, amount: 1_000 });
    expect(lateFailure).toMatchObject({ order: { status: 'paid' }, payment: { outcome: 'ignored' } });
    // A second successful charge of a paid order must be refunded.
    expect(await pay(product.id, { orderId: a.id, amount: 1_000 })).toMatchObject({
      order: { status: 'paid', refundRequired: true },
    });
  });

  it('keeps a reserved order reserved on a wrong amount, with a refund required', async () => {
    const product = await created({ price: 1_000 });
    const order = await reserved(product.id, 'alice');
    const wrong = await pay(product.id, { orderId: order.id, amount: 999 });
    expect(wrong).toMatchObject({
      order: { status: 'reserved', refundRequired: true },
      payment: { outcome: 'refund' },
    });
    expect(wrong.events.map((event) => event.type)).toEqual(['payment.received']);
    expect(await pay(product.id, { orderId: order.id, amount: 1_000 })).toMatchObject({
      order: { status: 'paid', refundRequired: true },
    });
  });

  it('parks an event for an order not visible yet and flags it when the order appears', async () => {
    const product = await created();
    const orderId = newOrderId(product.id);
    const event: PaymentEvent = { id: `evt-${ulid()}`, type: 'payment.succeeded', orderId, amount: 2_500 };
    expect(await store.parkPayment(event)).toEqual({ parked: true, duplicate: false });
    expect(await store.parkPayment(event)).toEqual({ parked: true, duplicate: true });
    expect(await store.ordersWithParkedPayments(10_000)).toContain(orderId);
    const outcome = await reserve(product.id, 'alice', 1, { orderId });
    expect(outcome).toMatchObject({ ok: true, pendingPayments: true });
    expect(await store.parkPayment(event)).toEqual({ parked: false, productId: product.id });
    expect(await store.parkedPayments(orderId)).toEqual([event]);
    expect(await store.applyPayment(product.id, event)).toMatchObject({ order: { status: 'paid' } });
    expect(await store.parkedPayments(orderId)).toEqual([]);
  });

  it('returns stock exactly once when payments, cancels and expiry race on the same orders', async () => {
    const product = await created({ stock: 60, perUserLimit: 1, reservationTtlSeconds: 1, price: 300 });
    const orders = await Promise.all(
      Array.from({ length: 60 }, (_, index) => reserved(product.id, `u${index}`)),
    );
    await sleep(950);
    const attempts = orders.flatMap((order) => [
      pay(product.id, { orderId: order.id, amount: 300 }),
      pay(product.id, { orderId: order.id, amount: 300, type: 'payment.failed' }),
      store.cancel(product.id, order.id, order.userId),
      store.expireOverdue(product.id),
      sleep(60).then(() => store.expireOverdue(product.id)),
      sleep(60).then(() => pay(product.id, { orderId: order.id, amount: 300 })),
    ]);
    await Promise.all(attempts);
    await sleep(100);
    await store.expireOverdue(product.id);
    const after = await Promise.all(orders.map((order) => store.read(product.id, order.id)));
    const statuses = after.map((read) => read.order?.status);
    const paid = statuses.filter((status) => status === 'paid').length;
    expect(statuses.every((status) => status !== 'reserved')).toBe(true);
    const { product: final } = await store.read(product.id);
    expect(final?.available).toBe(60 - paid);
    expect(await redis.hlen(productKeys(product.id).held)).toBe(paid);
    expect(await redis.zcard(productKeys(product.id).deadlines)).toBe(0);
    // Every release emitted exactly one event; seq is contiguous.
    const events = await redis.zrange(productKeys(product.id).events, 0, -1);
    const seqs = events.map((row) => (JSON.parse(row) as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    const released = events
      .map((row) => JSON.parse(row) as { type: string; payload: ProductEventPayload })
      .filter((event) => ['order.cancelled', 'order.expired'].includes(event.type));
    expect(released).toHaveLength(60 - paid);
    expect(new Set(released.map((event) => event.payload.order?.id)).size).toBe(60 - paid);
  });

  it('tells the sweeper when to come back, and that a finished sale is done', async () => {
    const product = await created({ reservationTtlSeconds: 60 });
    const first = await store.expireOverdue(product.id);
    if (!first.ok || 'done' in first) throw new Error('expected a next check');
    expect(first.nextCheck - first.now).toBe(60_000);
    const order = await reserved(product.id, 'alice');
    const second = await store.expireOverdue(product.id);
    if (!second.ok || 'done' in second) throw new Error('expected a next check');
    expect(second.nextCheck).toBe(order.expiresAt);
    const ended = await created({ saleEndsAt: Date.now() + 200 });
    await sleep(300);
    expect(await store.expireOverdue(ended.id)).toMatchObject({ ok: true, done: true });
    expect(await store.expireOverdue('never-created')).toMatchObject({
      ok: false,
      code: 'product_not_found',
    });
  });

  it('fences a lost product, refuses it everywhere, and restores it from an archived snapshot', async () => {
    const product = await created({ stock: 5, perUserLimit: 5, price: 100 });
    const kept = await reserved(product.id, 'alice', 2);
    const snapshot = (await store.read(product.id)).product!;
    const keys = productKeys(product.id);
    // Lost with its outbox (issue 24: a rebuild waits for an empty outbox, whose events the archive
    // may not have yet; test/product-rebuild-guard.test.ts).
    await redis.del(keys.state, keys.orders, keys.held, keys.deadlines, keys.outbox);
    const fence = await store.fence(product.id);
    expect(fence).toMatchObject({ exists: false });
    expect(await reserve(product.id, 'bob')).toMatchObject({ ok: false, code: 'product_unavailable' });
    expect(await store.create(newProduct({ id: product.id }))).toMatchObject({ code: 'product_unavailable' });
    expect(await store.read(product.id)).toMatchObject({ product: null, fenced: true });
    expect(await store.restore({ product: snapshot, orders: [kept] })).toBe(true);
    expect(await store.restore({ product: snapshot, orders: [kept] })).toBe(false);
    const next = await reserve(product.id, 'bob', 1);
    expect(next).toMatchObject({ ok: true, product: { available: 2, seq: snapshot.seq + 1 } });
    expect(await reserve(product.id, 'alice', 4)).toMatchObject({ code: 'limit_exceeded', purchased: 2 });
    expect(await store.productOfOrder(kept.id)).toBe(product.id);
  });

  if (cluster) {
    it('keeps all keys of one product and of its orders in one slot', async () => {
      const productId = `slot-${ulid()}`;
      const keys = productKeys(productId);
      const orderId = newOrderId(productId);
      const slots = await Promise.all(
        [
          keys.state,
          keys.orders,
          keys.held,
          keys.deadlines,
          keys.events,
          keys.outbox,
          keys.payments,
          keys.fence,
          keys.rateLimit('u'),
          keys.idempotency('u', 'k'),
          orderKeys(orderId).pointer,
          orderKeys(orderId).pending,
        ].map((key) => (redis as Cluster).cluster('KEYSLOT', key)),
      );
      expect(new Set(slots).size).toBe(1);
    });
  }
});
