import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { productKeys } from '../functions/adapters/redis/redis-keys.js';
import type { OrderView } from '../functions/domain/product.js';
import { createProduct, type ErrorBody, readProduct } from './support/flash-sale.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

const USERS = 2_000;
const ATTEMPTS = 10_000;
const CONCURRENCY = 250;
const STOCK = 100;
const PER_USER_LIMIT = 2;

const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

interface Outcome {
  userId: string;
  qty: number;
  status: number;
  body: { order?: OrderView } & Partial<ErrorBody>;
}

/** Runs `work` over `items` with at most `limit` in flight; returns results in item order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  let inFlight = 0;
  let peak = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      inFlight++;
      peak = Math.max(peak, inFlight);
      results[index] = await work(items[index] as T);
      inFlight--;
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return { results, peak };
}

describe.each(targets)(
  'stampede: 10,000 reservations from 2,000 users on 100 units ($name)',
  ({ url, cluster }) => {
    let fx: HttpFixture;
    let tokens: string[];
    beforeAll(async () => {
      fx = await createHttpFixture({ redisUrl: url(), cluster, sqsEndpoint: inject('sqsEndpoint') });
      tokens = await Promise.all(Array.from({ length: USERS }, (_, index) => tokenFor(`buyer-${index}`)));
    });
    afterAll(() => fx.close());

    it('reserves exactly the stock, never above a user limit, and refuses the rest with 409', async () => {
      const product = await createProduct(fx, { stock: STOCK, perUserLimit: PER_USER_LIMIT, price: 4_999 });
      // Every user tries 5 times with 1 or 2 units, interleaved so the same user races with themselves.
      const attempts = Array.from({ length: ATTEMPTS }, (_, index) => ({
        user: index % USERS,
        qty: 1 + ((index * 7919) % PER_USER_LIMIT),
      }));
      const started = performance.now();
      const { results, peak } = await pool(attempts, CONCURRENCY, async ({ user, qty }): Promise<Outcome> => {
        const response = await fx.request('/orders', {
          method: 'POST',
          token: tokens[user] as string,
          body: { productId: product.id, qty },
        });
        return {
          userId: `buyer-${user}`,
          qty,
          status: response.status,
          body: (await response.json()) as Outcome['body'],
        };
      });
      const elapsedMs = performance.now() - started;
      expect(peak).toBeGreaterThanOrEqual(200);

      const byStatus = new Map<number, number>();
      for (const outcome of results) byStatus.set(outcome.status, (byStatus.get(outcome.status) ?? 0) + 1);
      expect([...byStatus.keys()].sort(), JSON.stringify([...byStatus])).toEqual([201, 409]);

      const accepted = results.filter((outcome) => outcome.status === 201);
      const unitsReserved = accepted.reduce((sum, outcome) => sum + (outcome.body.order?.qty ?? 0), 0);
      expect(unitsReserved).toBe(STOCK);
      const perUser = new Map<string, number>();
      for (const outcome of accepted) {
        expect(outcome.body.order).toMatchObject({
          userId: outcome.userId,
          qty: outcome.qty,
          status: 'reserved',
        });
        perUser.set(outcome.userId, (perUser.get(outcome.userId) ?? 0) + outcome.qty);
      }
      expect(Math.max(...perUser.values())).toBeLessThanOrEqual(PER_USER_LIMIT);
      expect(new Set(accepted.map((outcome) => outcome.body.order?.id)).size).toBe(accepted.length);
      const codes = new Set(results.filter((o) => o.status === 409).map((o) => o.body.error?.code));
      expect(
        [...codes].every((code) => code === 'sold_out' || code === 'limit_exceeded'),
        [...codes].join(),
      ).toBe(true);

      const final = await readProduct(fx, product.id);
      expect(final).toMatchObject({ stock: STOCK, available: 0, seq: 1 + accepted.length });
      const held = await fx.redis.hgetall(productKeys(product.id).held);
      expect(Object.values(held).reduce((sum, units) => sum + Number(units), 0)).toBe(STOCK);
      console.log(
        `stampede (${cluster ? 'cluster' : 'single'}): ${ATTEMPTS} attempts in ${Math.round(elapsedMs)} ms ` +
          `(${Math.round((ATTEMPTS / elapsedMs) * 1000)}/s), peak ${peak} in flight, ${accepted.length} orders`,
      );
    });
  },
);
