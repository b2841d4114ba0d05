import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { userRateLimitKey } from '../functions/adapters/redis/redis-keys.js';
import { createProduct } from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

/**
 * A retry of a bid or an order whose answer was lost carries the same Idempotency-Key and gets the
 * decision already taken. Issue 24 item 4 changed how it counts: a replay may skip the decision, not
 * the rate limit (replays were counted by no limit, so one key could be replayed without end). Over
 * the user-wide limit a replay is a 429 with Retry-After, which means "retry with the same key after
 * that", never "not placed": in the next window the replay is the decision, without a second effect.
 */
describe('a replayed Idempotency-Key counts against the user-wide limit, and replays the decision after it', () => {
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

  it('bids: past the limit a replay is 429 like a new key; in the next window it is the same bid', async () => {
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
    const limited = await bid('k1', 1_000);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await bid('k3', 1_200, other.id)).status).toBe(429);
    await fx.redis.del(userRateLimitKey(`replay-bidder-${run}`)); // the next window
    const replay = await bid('k1', 1_000);
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { bid: { id: string } }).bid.id).toBe(firstBody.bid.id);
    const misuse = await bid('k1', 1_500);
    expect(misuse.status).toBe(422);
    const listed = (await (await fx.request(`/auctions/${auction.id}/bids`)).json()) as { bids: unknown[] };
    expect(listed.bids).toHaveLength(1);
  });

  it('orders: past the limit a replay is 429; in the next window it is the same order', async () => {
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
    expect((await order('o1')).status).toBe(429);
    expect((await order('o3')).status).toBe(429);
    await fx.redis.del(userRateLimitKey(`replay-buyer-${run}`)); // the next window
    const replay = await order('o1');
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { order: { id: string } }).order.id).toBe(id);
  });
});
