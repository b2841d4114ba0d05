import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createProduct } from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { commandsDuring } from './support/redis-writes.js';
import { tokenFor } from './support/tokens.js';

const REPLAYS = 300;

/** Scripts the app's Redis client ran whose first key is in `tag`'s slot (the entity's shard). */
const scriptsOn = (commands: Array<{ name: string; args: unknown[] }>, tag: string) =>
  commands.filter(
    (command) =>
      (command.name === 'evalsha' || command.name === 'eval') &&
      String(command.args[2] ?? '').startsWith(tag),
  ).length;

/**
 * Issue 24 item 4. Replays of a claimed Idempotency-Key were counted by no limit: 300 replays with
 * every limit at 2 per minute were 300 answers 201 and 600 scripts, 300 of them on the item's shard.
 * A replay may skip the decision, not the rate limit: it counts like any request, first at the
 * user-wide step (the user's shard), then at the entity's script; over a limit it is a 429 with
 * Retry-After, and the retry after that window replays the decision.
 */
describe.each([
  { name: 'every limit at 2 per minute', userRateLimit: 2 },
  { name: 'the user-wide limit off, the per-entity limit at 2 per minute', userRateLimit: 0 },
])('replays of one Idempotency-Key with $name', ({ userRateLimit }) => {
  let fx: HttpFixture;
  const run = ulid();

  beforeAll(async () => {
    fx = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      userRateLimit,
      userRateWindowMs: 60_000,
      bidRateLimit: 2,
      bidRateWindowMs: 60_000,
      orderRateLimit: 2,
      orderRateWindowMs: 60_000,
    });
  });
  afterAll(() => fx.close());

  const replay = async (send: () => Response | Promise<Response>, tag: string) => {
    const { result, commands } = await commandsDuring(fx.redis, () =>
      Promise.all(Array.from({ length: REPLAYS }, async () => send())),
    );
    const statuses = result.map((response) => response.status);
    return {
      statuses,
      created: statuses.filter((status) => status === 201).length,
      limited: result.filter((response) => response.status === 429),
      onEntityShard: scriptsOn(commands, tag),
    };
  };

  it('bids: the first replay within the limit is the bid, the rest are 429s that reach no further', async () => {
    const auction = await fx.createAuction({ startingPrice: 1_000, minIncrement: 100 });
    const token = await tokenFor(`replayer-${run}`);
    const bid = () =>
      fx.request(`/auctions/${auction.id}/bids`, {
        method: 'POST',
        token,
        body: { amount: 1_000 },
        headers: { 'idempotency-key': 'same' },
      });
    const first = await bid();
    expect(first.status).toBe(201);
    const { created, limited, onEntityShard } = await replay(bid, `{a:${auction.id}}`);
    expect(created).toBe(1); // the limit is 2: the first request and one replay
    expect(limited).toHaveLength(REPLAYS - 1);
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThan(0);
    // With the user-wide limit, the 429s are answered on the user's shard; without it, by the
    // auction's script, which counts before it replays (a count, not a decision, per replay).
    expect(onEntityShard).toBe(userRateLimit > 0 ? 1 : REPLAYS);
    const listed = (await (await fx.request(`/auctions/${auction.id}/bids`)).json()) as { bids: unknown[] };
    expect(listed.bids).toHaveLength(1);
  });

  it('orders: the same for a reservation', async () => {
    const product = await createProduct(fx, { stock: 10, perUserLimit: 5 });
    const token = await tokenFor(`replay-buyer-${run}`);
    const order = () =>
      fx.request('/orders', {
        method: 'POST',
        token,
        body: { productId: product.id, qty: 1 },
        headers: { 'idempotency-key': 'same' },
      });
    expect((await order()).status).toBe(201);
    const { created, limited, onEntityShard } = await replay(order, `{p:${product.id}}`);
    expect(created).toBe(1);
    expect(limited).toHaveLength(REPLAYS - 1);
    expect(onEntityShard).toBe(userRateLimit > 0 ? 1 : REPLAYS);
  });
});
