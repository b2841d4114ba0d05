/**
 * The HTTP function's memory of "sold out" (issue 17, functions/use-cases/flash-sales/sold-out-memo.ts) on the
 * real composition root, real Redis: the stampede after the last unit stays off the product's
 * deciding script, and what it must not change does not change: an Idempotency-Key's answer replays
 * the same decision whichever way it was made, a unit that comes back is reserved (at once through
 * the instance that took it back, within the memo's time through another), and the user's rate
 * limit on the product counts memory-answered requests (test/flash-sale-http.test.ts: 409, 409, 409,
 * 429, 429 on a sold-out product).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { reserveOrderScript } from '../functions/adapters/redis/lua/flash-sale/reserve-order.js';
import { countRequestScript } from '../functions/adapters/redis/lua/requests/count-request.js';
import { productKeys } from '../functions/adapters/redis/redis-keys.js';
import type { OrderView } from '../functions/domain/product.js';
import { createProduct, type ErrorBody, postOrder, reserved, sleep } from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { commandsDuring } from './support/redis-writes.js';
import { tokenFor } from './support/tokens.js';

const MEMO_MS = 500;
const sha = (source: string) => createHash('sha1').update(source).digest('hex');
const RESERVE_SHA = sha(reserveOrderScript.source);
const COUNT_SHA = sha(countRequestScript.source);

/** How often the app's own Redis client ran the reservation script and the counter while `during` ran. */
async function scriptRuns<T>(redis: Redis, during: () => Promise<T>) {
  const { result, commands } = await commandsDuring(redis, during);
  const runsOf = (sha: string) =>
    commands.filter((command) => command.name === 'evalsha' && command.args[0] === sha).length;
  return { result, runs: { reserve: runsOf(RESERVE_SHA), count: runsOf(COUNT_SHA) } };
}

const body = async (response: Response) => ({ status: response.status, json: await response.json() });

describe('"sold out" remembered by the HTTP function', () => {
  // Two HTTP function instances on one Redis: each has its own memory.
  let fx: HttpFixture;
  let other: HttpFixture;
  const options = {
    redisUrl: inject('redisUrl'),
    sqsEndpoint: inject('sqsEndpoint'),
    soldOutMemoMs: MEMO_MS,
  };
  beforeAll(async () => {
    [fx, other] = await Promise.all([createHttpFixture(options), createHttpFixture(options)]);
  });
  afterAll(async () => {
    await Promise.all([fx?.close(), other?.close()]);
  });

  it('answers the stampede after the last unit without the product’s deciding script, each answer the one Redis gave', async () => {
    const product = await createProduct(fx, { stock: 1 });
    await reserved(fx, await tokenFor('memo-first'), product.id);
    const first = await body(
      await postOrder(fx, await tokenFor('memo-late'), { productId: product.id, qty: 1 }),
    );
    expect(first.status).toBe(409);
    expect((first.json as ErrorBody).error).toMatchObject({ code: 'sold_out', available: 0 });

    const users = Array.from({ length: 40 }, (_, i) => `memo-crowd-${i}`);
    const tokens = await Promise.all(users.map((user) => tokenFor(user)));
    const { result, runs } = await scriptRuns(fx.redis, () =>
      Promise.all(
        tokens.map(async (token) => body(await postOrder(fx, token, { productId: product.id, qty: 1 }))),
      ),
    );
    expect(result.map((answer) => answer.status)).toEqual(tokens.map(() => 409));
    for (const answer of result) expect(answer.json).toEqual(first.json);
    // Each one counted toward its user's rate limit on the product, as the script counts.
    const counters = await Promise.all(
      users.map((user) => fx.redis.get(productKeys(product.id).rateLimit(user))),
    );
    expect(counters).toEqual(users.map(() => '1'));
    expect(runs).toEqual({ reserve: 0, count: 40 });
  });

  it('binds a remembered "sold out" to its Idempotency-Key: the retry replays it after a unit came back, anywhere', async () => {
    const product = await createProduct(fx, { stock: 1 });
    const alice = await tokenFor('memo-alice');
    const order = await reserved(fx, alice, product.id);
    expect(
      (await postOrder(fx, await tokenFor('memo-carol'), { productId: product.id, qty: 1 })).status,
    ).toBe(409);

    const bob = await tokenFor('memo-bob');
    const keyed = { 'idempotency-key': `memo-key-${product.id}` };
    const { result: answered, runs } = await scriptRuns(fx.redis, async () =>
      body(await postOrder(fx, bob, { productId: product.id, qty: 1 }, keyed)),
    );
    expect(runs.reserve).toBe(0);
    expect(answered.status).toBe(409);

    // The unit comes back through the other instance, whose memory is empty.
    const cancel = await other.request(`/orders/${order.id}/cancel`, { method: 'POST', token: alice });
    expect(cancel.status).toBe(200);
    for (const instance of [other, fx]) {
      const retried = await body(await postOrder(instance, bob, { productId: product.id, qty: 1 }, keyed));
      expect(retried).toEqual(answered);
    }
    // The unit is there for a request that was not decided yet.
    const dave = await tokenFor('memo-dave');
    const fresh = await postOrder(
      other,
      dave,
      { productId: product.id, qty: 1 },
      { 'idempotency-key': `memo-new-${product.id}` },
    );
    expect(fresh.status).toBe(201);
  });

  it('gives one Idempotency-Key one decision when its retries race each other on an instance that remembers and one that does not, after the unit came back', async () => {
    for (let round = 0; round < 5; round++) {
      const product = await createProduct(fx, { stock: 1 });
      const alice = await tokenFor(`memo-race-alice-${round}`);
      const order = await reserved(fx, alice, product.id);
      expect(
        (await postOrder(fx, await tokenFor(`memo-race-carol-${round}`), { productId: product.id, qty: 1 }))
          .status,
      ).toBe(409);

      const bob = await tokenFor(`memo-race-bob-${round}`);
      const keyed = { 'idempotency-key': `memo-race-${product.id}` };
      const attempt = async (instance: HttpFixture) =>
        body(await postOrder(instance, bob, { productId: product.id, qty: 1 }, keyed));
      // The first request is answered from memory; the unit comes back; then twenty retries at
      // once, half through each instance: any of them reaching the script unbound would reserve.
      const first = await attempt(fx);
      expect(first.status).toBe(409);
      expect(
        (await other.request(`/orders/${order.id}/cancel`, { method: 'POST', token: alice })).status,
      ).toBe(200);
      const retries = await Promise.all(
        Array.from({ length: 10 }, () => [attempt(fx), attempt(other)]).flat(),
      );
      for (const retry of retries) expect(retry).toEqual(first);
      // The unit is still there for others.
      expect(
        (await postOrder(other, await tokenFor(`memo-race-dave-${round}`), { productId: product.id, qty: 1 }))
          .status,
      ).toBe(201);
    }
  });

  it('replays a key the script decided, also while the product is remembered sold out', async () => {
    const product = await createProduct(fx, { stock: 1 });
    const bob = await tokenFor('memo-bob-2');
    const keyed = { 'idempotency-key': `memo-first-${product.id}` };
    const placed = await body(await postOrder(fx, bob, { productId: product.id, qty: 1 }, keyed));
    expect(placed.status).toBe(201);
    expect(
      (await postOrder(fx, await tokenFor('memo-carol-2'), { productId: product.id, qty: 1 })).status,
    ).toBe(409);

    const replayed = await body(await postOrder(fx, bob, { productId: product.id, qty: 1 }, keyed));
    expect(replayed.status).toBe(201);
    expect((replayed.json as { order: OrderView }).order.id).toBe(
      (placed.json as { order: OrderView }).order.id,
    );
  });

  it('sees a unit that came back at once after a cancel through the same instance, through another within its time', async () => {
    const product = await createProduct(fx, { stock: 1 });
    const alice = await tokenFor('memo-alice-3');
    const dave = await tokenFor('memo-dave-3');
    const first = await reserved(fx, alice, product.id);
    expect((await postOrder(fx, dave, { productId: product.id, qty: 1 })).status).toBe(409);

    // Taken back through the other instance: this one may still say sold out, for MEMO_MS at most.
    const cancelledAt = Date.now();
    expect((await other.request(`/orders/${first.id}/cancel`, { method: 'POST', token: alice })).status).toBe(
      200,
    );
    let answer = await postOrder(fx, dave, { productId: product.id, qty: 1 });
    while (answer.status === 409 && Date.now() - cancelledAt < MEMO_MS + 1_000) {
      await sleep(50);
      answer = await postOrder(fx, dave, { productId: product.id, qty: 1 });
    }
    expect(answer.status).toBe(201);
    expect(Date.now() - cancelledAt).toBeLessThan(MEMO_MS + 500);
    const daves = ((await answer.json()) as { order: OrderView }).order;

    // Sold out again and remembered by fx; dave cancels through fx: the next request reserves at once.
    const erin = await tokenFor('memo-erin-3');
    expect((await postOrder(fx, erin, { productId: product.id, qty: 1 })).status).toBe(409);
    expect((await fx.request(`/orders/${daves.id}/cancel`, { method: 'POST', token: dave })).status).toBe(
      200,
    );
    expect((await postOrder(fx, erin, { productId: product.id, qty: 1 })).status).toBe(201);
  });
});
