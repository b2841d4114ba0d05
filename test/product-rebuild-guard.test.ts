import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { newOrderId } from '../functions/adapters/redis/order-ids.js';
import { productKeys } from '../functions/adapters/redis/redis-keys.js';
import {
  DEFAULT_PRODUCT_STORE_LIMITS,
  RedisProductStore,
} from '../functions/adapters/redis/redis-product-store.js';

/**
 * Issue 24 item 7. A product rebuild lacked the auction's outbox guard: when Redis lost the product's
 * hash but its outbox (events SQS never acknowledged), orders, held and deadlines survived, the
 * rebuild from PostgreSQL (which has not seen those events) put the whole stock back and added the
 * held units onto the surviving hashes: stock sold twice. Now the fence restarts while the outbox
 * holds anything and the restore refuses until it is empty, and a restore replaces the hashes it
 * rebuilds instead of adding to them.
 */
describe.each([
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
])('product rebuild with a surviving outbox on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  let store: RedisProductStore;

  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
    store = new RedisProductStore(redis, DEFAULT_PRODUCT_STORE_LIMITS);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('refuses to rebuild while the outbox holds events, and never adds held units twice', async () => {
    const created = await store.create({
      id: `guard-${ulid()}`,
      name: 'Sneaker',
      price: 100,
      stock: 10,
      perUserLimit: 10,
      saleStartsAt: null,
      saleEndsAt: null,
      reservationTtlSeconds: 600,
    });
    if (!created.ok) throw new Error('create');
    const archived = created.product; // what PostgreSQL has: the reservation below never reached it
    const productId = archived.id;
    const reserved = await store.reserve({
      productId,
      userId: 'ursula',
      qty: 3,
      orderId: newOrderId(productId),
      idempotency: null,
    });
    if (!reserved.ok) throw new Error('reserve');
    const keys = productKeys(productId);
    await redis.del(keys.state); // the hash is lost; orders, held, deadlines and the outbox survive

    const fence = await store.fence(productId);
    expect(fence).toMatchObject({ exists: false, outboxPending: 2 });
    expect(await store.restore({ product: archived, orders: [] })).toBe(false);
    expect(await redis.exists(keys.state)).toBe(0);

    // The sweeper re-sent the outbox; PostgreSQL now has the order: the rebuild may run, and the
    // surviving hashes are replaced by the archive's, not added to.
    await redis.del(keys.outbox);
    const restored = await store.restore({
      product: { ...archived, available: 7, seq: 2 },
      orders: [reserved.order],
    });
    expect(restored).toBe(true);
    expect(await redis.hget(keys.state, 'available')).toBe('7');
    expect(await redis.hget(keys.held, 'ursula')).toBe('3');
    expect(await redis.hlen(keys.orders)).toBe(1);
    expect(await redis.zcard(keys.deadlines)).toBe(1);
  });
});
