import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OrderView } from '../functions/domain/product.js';
import { createProduct } from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

/**
 * Issue 19, item 6: the idempotency records of two users must never collide, whatever their `sub`
 * and Idempotency-Key contain (`{p:ID}:idem:USER:KEY` used to be the same key for user `alice:k1`
 * with key `x` and user `alice` with key `k1:x`).
 */
describe('Idempotency-Key records are per user, whatever the user id contains', () => {
  let fx: HttpFixture;
  // Claims live 24 h in Redis: fresh names per run.
  const run = ulid();

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
  });
  afterAll(() => fx.close());

  it('orders: user "alice" with key "k1:x" is not answered with the order of user "alice:k1" with key "x"', async () => {
    const product = await createProduct(fx, { stock: 10, perUserLimit: 5 });
    const first = await fx.request('/orders', {
      method: 'POST',
      token: await tokenFor(`alice-${run}:k1`),
      body: { productId: product.id, qty: 1 },
      headers: { 'idempotency-key': 'x' },
    });
    expect(first.status).toBe(201);
    const firstOrder = ((await first.json()) as { order: OrderView }).order;
    const second = await fx.request('/orders', {
      method: 'POST',
      token: await tokenFor(`alice-${run}`),
      body: { productId: product.id, qty: 1 },
      headers: { 'idempotency-key': 'k1:x' },
    });
    expect(second.status).toBe(201);
    const secondOrder = ((await second.json()) as { order: OrderView }).order;
    expect(secondOrder.userId).toBe(`alice-${run}`);
    expect(secondOrder.id).not.toBe(firstOrder.id);
  });

  it('bids: user "bob" with key "k1:x" gets his own decision, not that of user "bob:k1" with key "x"', async () => {
    const auction = await fx.createAuction({ startingPrice: 1_000, minIncrement: 100 });
    const first = await fx.request(`/auctions/${auction.id}/bids`, {
      method: 'POST',
      token: await tokenFor(`bob-${run}:k1`),
      body: { amount: 1_000 },
      headers: { 'idempotency-key': 'x' },
    });
    expect(first.status).toBe(201);
    const second = await fx.request(`/auctions/${auction.id}/bids`, {
      method: 'POST',
      token: await tokenFor(`bob-${run}`),
      body: { amount: 1_000 },
      headers: { 'idempotency-key': 'k1:x' },
    });
    // Bob's own decision: his 1,000 is too low after bob:k1's bid (a replay would be a 201 for bob:k1).
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('bid_too_low');
  });
});
