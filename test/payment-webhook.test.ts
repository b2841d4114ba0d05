import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newOrderId } from '../functions/adapters/redis/order-ids.js';
import { orderKeys } from '../functions/adapters/redis/redis-keys.js';
import { RedisProductStore } from '../functions/adapters/redis/redis-product-store.js';
import { expireReservations } from '../functions/use-cases/flash-sales/expire-reservations.js';
import { reserveOrder } from '../functions/use-cases/flash-sales/reserve-order.js';
import {
  createProduct,
  type ErrorBody,
  flashSaleDeps,
  postWebhook,
  readOrder,
  readProduct,
  reserved,
  sleep,
} from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';
import { signedWebhookHeaders } from './support/webhooks.js';

type WebhookReply = { received: boolean; status: 'applied' | 'duplicate' | 'pending' };

describe('payment webhook', () => {
  let fx: HttpFixture;
  let alice: string;
  let eventCounter = 0;
  const eventId = () => `evt_${Date.now()}_${eventCounter++}`;

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
    alice = await tokenFor('alice');
  });
  afterAll(() => fx.close());

  const succeeded = (orderId: string, amount: number, id = eventId()) => ({
    id,
    type: 'payment.succeeded',
    orderId,
    amount,
  });
  const failed = (orderId: string, amount: number, id = eventId()) => ({
    id,
    type: 'payment.failed',
    orderId,
    amount,
  });
  const send = async (body: unknown) => {
    const response = await postWebhook(fx, body);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as WebhookReply;
  };

  it('refuses bad signatures and stale or future timestamps with 401 invalid_signature, changing nothing', async () => {
    const product = await createProduct(fx, { price: 500 });
    const order = await reserved(fx, alice, product.id);
    const body = succeeded(order.id, 500);
    const refusals = [
      await postWebhook(fx, body, { secret: 'not-the-webhook-secret-000' }),
      await postWebhook(fx, body, { headers: { 'x-webhook-signature': 't=1,v1=deadbeef' } }),
      await postWebhook(fx, body, { headers: { 'x-webhook-signature': '' } }),
      await postWebhook(fx, body, { timestampSeconds: Math.floor(Date.now() / 1000) - 301 }),
      await postWebhook(fx, body, { timestampSeconds: Math.floor(Date.now() / 1000) + 301 }),
      await fx.request('/payments/webhook', { method: 'POST', body }),
    ];
    for (const response of refusals) {
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorBody).error.code).toBe('invalid_signature');
    }
    // A body changed after signing fails too.
    const raw = JSON.stringify(body);
    const tampered = await fx.request('/payments/webhook', {
      method: 'POST',
      body: raw.replace('500', '5'),
      headers: signedWebhookHeaders(raw),
    });
    expect(tampered.status).toBe(401);
    expect((await readOrder(fx, alice, order.id)).status).toBe('reserved');
    expect((await postWebhook(fx, raw)).status).toBe(200);
    expect((await readOrder(fx, alice, order.id)).status).toBe('paid');
  });

  it('pays a reserved order once; the same event again is a duplicate', async () => {
    const product = await createProduct(fx, { price: 1_500, perUserLimit: 2 });
    const order = await reserved(fx, alice, product.id, 2);
    const event = succeeded(order.id, 3_000);
    expect(await send(event)).toEqual({ received: true, status: 'applied' });
    const paid = await readOrder(fx, alice, order.id);
    expect(paid).toMatchObject({ status: 'paid', paidAt: expect.any(String) });
    expect(paid.refundRequired).toBeUndefined();
    expect(await send(event)).toEqual({ received: true, status: 'duplicate' });
    const product2 = await readProduct(fx, product.id);
    expect(product2).toMatchObject({ available: 8, seq: 3 });
  });

  it('cancels on payment.failed with the stock returned; events out of order never move state back', async () => {
    const product = await createProduct(fx, { price: 700, stock: 2 });
    const order = await reserved(fx, alice, product.id);
    expect(await send(failed(order.id, 700))).toMatchObject({ status: 'applied' });
    expect((await readOrder(fx, alice, order.id)).status).toBe('cancelled');
    expect((await readProduct(fx, product.id)).available).toBe(2);
    // A success that arrives after the failure: status stays cancelled, the money goes back.
    expect(await send(succeeded(order.id, 700))).toMatchObject({ status: 'applied' });
    expect(await readOrder(fx, alice, order.id)).toMatchObject({ status: 'cancelled', refundRequired: true });
    expect((await readProduct(fx, product.id)).available).toBe(2);
    // Paid beats a failure reported late.
    const bob = await tokenFor('bob');
    const other = await reserved(fx, bob, product.id);
    await send(succeeded(other.id, 700));
    await send(failed(other.id, 700));
    expect(await readOrder(fx, bob, other.id)).toMatchObject({ status: 'paid' });
    expect((await readProduct(fx, product.id)).available).toBe(1);
  });

  it('requires a refund for a payment after expiry, leaving the order expired', async () => {
    const product = await createProduct(fx, { price: 900, stock: 1, reservationTtlSeconds: 1 });
    const order = await reserved(fx, alice, product.id);
    await sleep(1_100);
    expect(await send(succeeded(order.id, 900))).toMatchObject({ status: 'applied' });
    expect(await readOrder(fx, alice, order.id)).toMatchObject({ status: 'expired', refundRequired: true });
    expect((await readProduct(fx, product.id)).available).toBe(1);
  });

  it('requires a refund for a wrong amount, leaving the order reserved', async () => {
    const product = await createProduct(fx, { price: 900 });
    const order = await reserved(fx, alice, product.id);
    expect(await send(succeeded(order.id, 901))).toMatchObject({ status: 'applied' });
    expect(await readOrder(fx, alice, order.id)).toMatchObject({ status: 'reserved', refundRequired: true });
  });

  it('keeps an event for an order not visible yet (pending) and applies it when the order appears', async () => {
    const product = await createProduct(fx, { price: 1_000 });
    const order = await reserved(fx, alice, product.id);
    // The order is not visible yet: its pointer is not there (as before the reservation is visible).
    const pointer = orderKeys(order.id).pointer;
    await fx.redis.del(pointer);
    const event = succeeded(order.id, 1_000);
    expect(await send(event)).toEqual({ received: true, status: 'pending' });
    expect(await send(event)).toEqual({ received: true, status: 'duplicate' });
    await fx.redis.set(pointer, product.id);
    expect(await expireReservations(flashSaleDeps(fx))).toMatchObject({ parkedApplied: 1 });
    expect((await readOrder(fx, alice, order.id)).status).toBe('paid');
    expect(await send(event)).toEqual({ received: true, status: 'duplicate' });
  });

  it('applies a parked event in the reservation that creates the order', async () => {
    const product = await createProduct(fx, { price: 1_000 });
    const orderId = newOrderId(product.id);
    expect(await send(succeeded(orderId, 1_000))).toEqual({ received: true, status: 'pending' });
    // The server makes order ids; this store hands out the one the provider already paid for.
    class KnownIdStore extends RedisProductStore {
      override newOrderId() {
        return orderId;
      }
    }
    const deps = flashSaleDeps(fx, { products: new KnownIdStore(fx.redis) });
    const view = await reserveOrder(deps, {
      productId: product.id,
      userId: 'alice',
      qty: 1,
      idempotency: null,
    });
    expect(view).toMatchObject({ id: orderId, status: 'reserved' });
    expect((await readOrder(fx, alice, orderId)).status).toBe('paid');
    expect(await fx.redis.exists(orderKeys(orderId).pending)).toBe(0);
  });

  it('answers pending for an order that never appears, and validates the body after the signature', async () => {
    expect(await send(succeeded('01ARZ3NDEKTSV4RRFFQ69G5FAVabc', 100))).toMatchObject({ status: 'pending' });
    for (const body of [
      'not json',
      '{}',
      JSON.stringify({ id: 'e', type: 'payment.refunded', orderId: 'o', amount: 1 }),
      JSON.stringify({ id: 'e', type: 'payment.succeeded', orderId: 'bad id', amount: 1 }),
      JSON.stringify({ id: 'e', type: 'payment.succeeded', orderId: 'o', amount: -1 }),
    ]) {
      const response = await postWebhook(fx, body);
      expect(response.status, body).toBe(400);
      expect(((await response.json()) as ErrorBody).error.code).toBe('invalid_request');
    }
  });

  it('never answers 5xx nor changes an order for arbitrary signed or unsigned bodies', async () => {
    const product = await createProduct(fx, { price: 100, stock: 1 });
    const order = await reserved(fx, alice, product.id);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.json(),
          fc
            .record({
              id: fc.string({ maxLength: 20 }),
              type: fc.constantFrom('payment.succeeded', 'payment.failed', 'x'),
              orderId: fc.constantFrom(order.id, 'bad id', '', 'x'.repeat(65)),
              // Never a valid amount: the order must not change whatever else the body says.
              amount: fc.oneof(
                fc.double().filter((value) => !Number.isSafeInteger(value) || value <= 0),
                fc.constant('100'),
                fc.constant(null),
              ),
            })
            .map((value) => JSON.stringify(value)),
        ),
        fc.boolean(),
        async (raw, signed) => {
          const response = signed
            ? await postWebhook(fx, raw)
            : await fx.request('/payments/webhook', { method: 'POST', body: raw });
          expect(response.status).toBeLessThan(500);
          if (response.status !== 200) {
            expect(((await response.json()) as ErrorBody).error.code).toMatch(/^[a-z_]+$/);
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(await readOrder(fx, alice, order.id)).toMatchObject({ status: 'reserved' });
    expect((await readOrder(fx, alice, order.id)).refundRequired).toBeUndefined();
  });
});
