import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createProduct } from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

/**
 * A retry of a bid or an order whose answer was lost carries the same Idempotency-Key. Under the
 * user-wide rate limit it must get the decision already taken, not a 429 that reads as "not placed"
 * although it was (found by the client's retry tests): a claimed key is answered before counting.
 * New requests past the limit are still refused.
 */
describe('a replayed Idempotency-Key is answered, not counted against the user-wide limit', () => {
  let fx: HttpFixture;
  const run = ulid();

  beforeAll(async () => {
    // 2 requests per minute: the test cannot slip into a fresh window.
    fx = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      userRateLimit: 2,
      userRateWindowMs: 60_000,
    });
  });
  afterAll(() => fx.close());

  it('bids: the replay is the same bid after the limit is reached; a new key is 429', async () => {
    const auction = await fx.createAuction({ startingPrice: 1_000, minIncrement: 100 });
    const other = await fx.createAuction({ startingPrice: 1_000, minIncrement: 100 });
    const token = await tokenFor(`replay-bidder-${run}`);
    const bid = (key: string, amount: number, auctionId = auction.id) =>
      fx.request(`/auctions/${auctionId}/bids`, {
        method: 'POST',
        token,
        body: { amount },
        headers: { 'idempotency-key': key },
      });
    const first = await bid('k1', 1_000);
    expect(first.status).toBe(201);
    const firstBody = (await first.json()) as { bid: { id: string } };
    expect((await bid('k2', 1_000, other.id)).status).toBe(201); // the limit (2) is now used up
    const replay = await bid('k1', 1_000);
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { bid: { id: string } }).bid.id).toBe(firstBody.bid.id);
    const misuse = await bid('k1', 1_500);
    expect(misuse.status).toBe(422);
    expect((await bid('k3', 1_200, other.id)).status).toBe(429);
    const listed = (await (await fx.request(`/auctions/${auction.id}/bids`)).json()) as { bids: unknown[] };
    expect(listed.bids).toHaveLength(1);
  });

  it('orders: the replay is the same order after the limit is reached', async () => {
    const product = await createProduct(fx, { stock: 10, perUserLimit: 5 });
    const token = await tokenFor(`replay-buyer-${run}`);
    const order = (key: string) =>
      fx.request('/orders', {
        method: 'POST',
        token,
        body: { productId: product.id, qty: 1 },
        headers: { 'idempotency-key': key },
      });
    const first = await order('o1');
    expect(first.status).toBe(201);
    const id = ((await first.json()) as { order: { id: string } }).order.id;
    expect((await order('o2')).status).toBe(201);
    const replay = await order('o1');
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { order: { id: string } }).order.id).toBe(id);
    expect((await order('o3')).status).toBe(429);
  });
});
