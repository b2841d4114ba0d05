import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { runPlaceBid } from '../functions/adapters/redis/lua/auction/place-bid.js';
import { runApplyPayment } from '../functions/adapters/redis/lua/flash-sale/apply-payment.js';
import { runCancelOrder } from '../functions/adapters/redis/lua/flash-sale/cancel-order.js';
import { runReserveOrder } from '../functions/adapters/redis/lua/flash-sale/reserve-order.js';
import { newOrderId } from '../functions/adapters/redis/order-ids.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import { auctionKeys, productKeys } from '../functions/adapters/redis/redis-keys.js';
import {
  DEFAULT_PRODUCT_STORE_LIMITS,
  RedisProductStore,
} from '../functions/adapters/redis/redis-product-store.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { newAuction } from './support/new-auction.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { tokenFor } from './support/tokens.js';

/**
 * Issue 24 item 1. ioredis resends a command whose reply a reset connection lost
 * (`autoResendUnfulfilledCommands`), so a deciding script can run twice with the same arguments.
 * Each deciding script (bid, reservation, cancel, payment) is run through a TCP proxy that lets the
 * request reach Redis and cuts the connection as the reply comes back: the script runs, ioredis
 * reconnects and sends it again. One effect, and the caller gets the first run's answer.
 */
describe('a deciding script whose reply is cut runs twice: one effect, the right answer', () => {
  let proxy: TcpProxy;
  let cut: RedisClient;
  let direct: RedisClient;
  let auctions: RedisAuctionStore;
  let products: RedisProductStore;
  const limits = { max: 0, windowMs: 1_000 };

  beforeAll(async () => {
    const url = new URL(inject('redisUrl'));
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    cut = createRedisClient({ url: `redis://127.0.0.1:${proxy.port}`, cluster: false });
    direct = createRedisClient({ url: inject('redisUrl'), cluster: false });
    auctions = new RedisAuctionStore(cut, { ...DEFAULT_AUCTION_STORE_LIMITS, bidRateLimit: limits });
    products = new RedisProductStore(cut, { ...DEFAULT_PRODUCT_STORE_LIMITS, orderRateLimit: limits });
    await cut.ping();
  });
  afterAll(async () => {
    cut.disconnect();
    await direct.quit();
    await proxy.close();
  });

  /** Runs `step` with the reply of its first Redis command cut; asserts the connection was reset. */
  const withCutReply = async <T>(step: () => Promise<T>): Promise<T> => {
    const before = proxy.connections();
    proxy.cutNextAnswers(1);
    const result = await step();
    expect(proxy.connections()).toBeGreaterThan(before);
    return result;
  };

  const newProduct = async (stock: number) => {
    const created = await products.create({
      id: `cut-${ulid()}`,
      name: 'Sneaker',
      price: 2_500,
      stock,
      perUserLimit: 10,
      saleStartsAt: null,
      saleEndsAt: null,
      reservationTtlSeconds: 600,
    });
    if (!created.ok) throw new Error(`create: ${created.code}`);
    return created.product.id;
  };
  const reserve = (productId: string, userId: string, qty: number) =>
    products.reserve({ productId, userId, qty, orderId: newOrderId(productId), idempotency: null });

  it('bid: the resent bid is the accepted bid, not 409 already_leading', async () => {
    const created = await auctions.create(newAuction({ id: `cut-${ulid()}` }));
    if (!created.ok) throw new Error(`create: ${created.code}`);
    const id = created.state.id;
    const bid = (bidderId: string, amount: number) =>
      auctions.placeBid({ auctionId: id, bidderId, amount, bidId: ulid(), idempotency: null });
    expect((await bid('alice', 1_000)).ok).toBe(true); // the script is loaded: the cut hits its reply
    const outcome = await withCutReply(() => bid('bob', 1_100));
    expect(outcome).toMatchObject({ ok: true, replayed: false });
    if (!outcome.ok) return;
    expect(outcome.bid).toMatchObject({ bidderId: 'bob', amount: 1_100, seq: 3 });
    // The events of the run come back with the answer, so the caller publishes them.
    expect(outcome.events.map((event) => event.eventId)).toEqual([`a:${id}:3`]);
    expect(await direct.hmget(auctionKeys(id).state, 'seq', 'bidCount', 'leaderId')).toEqual([
      '3',
      '2',
      'bob',
    ]);
    expect(await direct.llen(auctionKeys(id).bids)).toBe(2);
    expect(await direct.zcard(auctionKeys(id).events)).toBe(3);
  });

  it('reservation: stock 10, an order of 1, then one of 2 whose reply is cut: 7 left, one order of 2', async () => {
    const productId = await newProduct(10);
    expect((await reserve(productId, 'ursula', 1)).ok).toBe(true);
    const outcome = await withCutReply(() => reserve(productId, 'ursula', 2));
    expect(outcome).toMatchObject({ ok: true, replayed: false, order: { qty: 2, status: 'reserved' } });
    if (!outcome.ok) return;
    expect(outcome.events.map((event) => event.type)).toEqual(['order.reserved']);
    const keys = productKeys(productId);
    expect(await direct.hget(keys.state, 'available')).toBe('7');
    expect(await direct.hget(keys.held, 'ursula')).toBe('3');
    expect(await direct.hlen(keys.orders)).toBe(2);
    expect(await direct.hget(keys.state, 'seq')).toBe('3');
  });

  it('cancel: the resent cancel answers the cancelled order, stock returned once', async () => {
    const productId = await newProduct(5);
    const first = await reserve(productId, 'carol', 1);
    const second = await reserve(productId, 'carol', 2);
    if (!first.ok || !second.ok) throw new Error('reserve failed');
    expect((await products.cancel(productId, first.order.id, 'carol')).ok).toBe(true);
    const outcome = await withCutReply(() => products.cancel(productId, second.order.id, 'carol'));
    expect(outcome).toMatchObject({ ok: true, order: { id: second.order.id, status: 'cancelled' } });
    if (!outcome.ok) return;
    expect(outcome.events.map((event) => event.type)).toEqual(['order.cancelled']);
    const keys = productKeys(productId);
    expect(await direct.hget(keys.state, 'available')).toBe('5');
    expect(await direct.hget(keys.held, 'carol')).toBeNull();
    // And a real second cancel by the owner is still refused.
    expect(await products.cancel(productId, second.order.id, 'carol')).toMatchObject({
      ok: false,
      code: 'order_not_cancellable',
    });
  });

  it('payment: the resent webhook event is applied (not "duplicate"), once', async () => {
    const productId = await newProduct(5);
    const warm = await reserve(productId, 'paula', 1);
    const order = await reserve(productId, 'paula', 1);
    if (!warm.ok || !order.ok) throw new Error('reserve failed');
    const pay = (orderId: string) =>
      products.applyPayment(productId, {
        id: `evt-${ulid()}`,
        type: 'payment.succeeded',
        orderId,
        amount: 2_500,
      });
    expect(await pay(warm.order.id)).toMatchObject({ ok: true, status: 'applied' });
    const outcome = await withCutReply(() => pay(order.order.id));
    expect(outcome).toMatchObject({ ok: true, status: 'applied', order: { status: 'paid' } });
    if (!outcome.ok) return;
    expect(outcome.events.map((event) => event.type)).toEqual(['order.paid']);
    const keys = productKeys(productId);
    expect(await direct.hlen(keys.payments)).toBe(2);
    expect(await direct.hget(keys.state, 'seq')).toBe('5');
  });
});

/**
 * The rest of item 1: "Command timed out" (and any connection failure while a deciding script was
 * sent) leaves the decision unknown. The 503 says so, and tells the client to retry with its key;
 * only a failure before anything could be decided says "nothing was decided".
 */
describe('a 503 says "nothing decided" only when that is true', () => {
  let proxy: TcpProxy;
  let fx: HttpFixture;
  let alice: string;

  beforeAll(async () => {
    const url = new URL(inject('redisUrl'));
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    fx = await createHttpFixture({
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      sqsEndpoint: inject('sqsEndpoint'),
    });
    alice = await tokenFor('alice-cut');
  });
  afterAll(async () => {
    await fx.close();
    await proxy.close();
  });

  it('a bid whose script timed out: 503 outcome unknown; a read that timed out: nothing decided', async () => {
    const { id } = await fx.createAuction();
    expect((await fx.request(`/auctions/${id}`)).status).toBe(200);
    proxy.stallOpen(); // the requests reach Redis (or not); no reply comes back: "Command timed out"
    const [bid, read] = await Promise.all([
      fx.request(`/auctions/${id}/bids`, { method: 'POST', token: alice, body: { amount: 1_000 } }),
      fx.request(`/auctions/${id}`),
    ]);
    const [bidBody, readBody] = (await Promise.all([bid.json(), read.json()])) as Array<{
      error: { code: string; message: string; outcome?: string };
    }>;
    expect(bid.status).toBe(503);
    expect(bid.headers.get('retry-after')).toBe('1');
    expect(bidBody?.error).toMatchObject({ code: 'service_unavailable', outcome: 'unknown' });
    expect(bidBody?.error.message).toMatch(/Idempotency-Key/);
    expect(read.status).toBe(503);
    expect(readBody?.error).toMatchObject({ code: 'service_unavailable', outcome: 'none' });
    proxy.cutAll();
  });
});

/**
 * The same guarantee at the scripts, on a single Redis and on the 3-node Cluster: each deciding
 * script run twice with the same arguments (what the resend does) answers the same, with one effect.
 */
describe.each([
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
])('deciding scripts run twice with the same arguments on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  let products: RedisProductStore;
  let auctions: RedisAuctionStore;
  const productLimits = { ...DEFAULT_PRODUCT_STORE_LIMITS, orderRateLimit: { max: 0, windowMs: 1_000 } };
  const auctionLimits = { ...DEFAULT_AUCTION_STORE_LIMITS, bidRateLimit: { max: 0, windowMs: 1_000 } };

  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
    products = new RedisProductStore(redis, productLimits);
    auctions = new RedisAuctionStore(redis, auctionLimits);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('bid (v1 and proxy), reservation, cancel, payment: the second run is the first', async () => {
    const created = await auctions.create(newAuction({ id: `twice-${ulid()}` }));
    if (!created.ok) throw new Error(`create: ${created.code}`);
    const auctionId = created.state.id;
    const bidArgs = (bidderId: string, amount: number, maxAmount: number | null) => ({
      auctionId,
      bidderId,
      amount,
      maxAmount,
      bidId: ulid(),
      idempotency: null,
      rateLimit: auctionLimits.bidRateLimit,
      eventLogLength: auctionLimits.eventLogLength,
      idempotencyTtlSeconds: auctionLimits.idempotencyTtlSeconds,
      recentBidsKept: auctionLimits.recentBidsKept,
    });
    const v1 = bidArgs('alice', 1_000, null);
    const firstBid = await runPlaceBid(redis, v1);
    expect(firstBid.ok).toBe(true);
    expect(await runPlaceBid(redis, v1)).toEqual(firstBid);
    const proxied = bidArgs('bob', 1_100, 5_000); // bob's own bid; no raise (alice has no maximum)
    const challenge = bidArgs('carol', 1_200, 2_000); // carol's bid, then the proxy raises bob
    expect((await runPlaceBid(redis, proxied)).ok).toBe(true);
    const outbid = await runPlaceBid(redis, challenge);
    expect(outbid).toMatchObject({ ok: true, outbid: true });
    expect(await runPlaceBid(redis, challenge)).toEqual(outbid);
    // created 1, alice 2, bob 3, carol 4 and bob's proxy raise 5: four bids, each once.
    expect(await redis.hmget(auctionKeys(auctionId).state, 'seq', 'bidCount', 'leaderId')).toEqual([
      '5',
      '4',
      'bob',
    ]);

    const product = await products.create({
      id: `twice-${ulid()}`,
      name: 'Sneaker',
      price: 2_500,
      stock: 10,
      perUserLimit: 10,
      saleStartsAt: null,
      saleEndsAt: null,
      reservationTtlSeconds: 600,
    });
    if (!product.ok) throw new Error(`create: ${product.code}`);
    const productId = product.product.id;
    const reserveArgs = (qty: number) => ({
      productId,
      userId: 'ursula',
      qty,
      orderId: newOrderId(productId),
      idempotency: null,
      rateLimit: productLimits.orderRateLimit,
      eventLogLength: productLimits.eventLogLength,
      idempotencyTtlSeconds: productLimits.idempotencyTtlSeconds,
      expireBatch: productLimits.expireBatch,
    });
    const [one, two] = [reserveArgs(2), reserveArgs(3)];
    const reserved = await runReserveOrder(redis, one);
    expect(reserved.ok).toBe(true);
    expect(await runReserveOrder(redis, one)).toEqual(reserved);
    expect((await runReserveOrder(redis, two)).ok).toBe(true);
    const keys = productKeys(productId);
    expect(await redis.hget(keys.state, 'available')).toBe('5');
    expect(await redis.hget(keys.held, 'ursula')).toBe('5');

    const cancelArgs = {
      productId,
      orderId: one.orderId,
      userId: 'ursula',
      eventLogLength: 10_000,
      requestId: ulid(),
    };
    const cancelled = await runCancelOrder(redis, cancelArgs);
    expect(cancelled).toMatchObject({ ok: true, order: { status: 'cancelled' } });
    expect(await runCancelOrder(redis, cancelArgs)).toEqual(cancelled);
    expect(await runCancelOrder(redis, { ...cancelArgs, requestId: ulid() })).toMatchObject({
      ok: false,
      code: 'order_not_cancellable',
    });
    expect(await redis.hget(keys.state, 'available')).toBe('7');

    const payArgs = {
      productId,
      event: { id: `evt-${ulid()}`, type: 'payment.succeeded' as const, orderId: two.orderId, amount: 7_500 },
      eventLogLength: 10_000,
      requestId: ulid(),
    };
    const paid = await runApplyPayment(redis, payArgs);
    expect(paid).toMatchObject({ ok: true, status: 'applied', order: { status: 'paid' } });
    expect(await runApplyPayment(redis, payArgs)).toEqual(paid);
    expect(await runApplyPayment(redis, { ...payArgs, requestId: ulid() })).toMatchObject({
      ok: true,
      status: 'duplicate',
      events: [],
    });
    // Every change once: created, 2 reservations, 1 cancel, 1 payment.
    expect(await redis.hget(keys.state, 'seq')).toBe('5');
    expect(await redis.zcard(keys.events)).toBe(5);
  });
});
