import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { runBuyNow } from '../functions/adapters/redis/lua/auction/buy-now.js';
import { runCloseAuction } from '../functions/adapters/redis/lua/auction/close-auction.js';
import { runSellerClose } from '../functions/adapters/redis/lua/auction/seller-close.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { toAuctionView } from '../functions/domain/auction.js';
import { newAuction } from './support/new-auction.js';

/**
 * The auction house scripts (buy-now.lua, seller-close.lua, the one close of close-now.lua) on a
 * single Redis and on the 3-node Cluster: every key on the auction's slot, a resent command
 * repeats its first run, and the sweeper's close finds an auction closed early already closed.
 */
const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

describe.each(targets)('auction house scripts on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  let store: RedisAuctionStore;
  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
    store = new RedisAuctionStore(redis, DEFAULT_AUCTION_STORE_LIMITS);
  });
  afterAll(async () => {
    await redis.quit();
  });

  const created = async (overrides: Parameters<typeof newAuction>[0] = {}) => {
    const outcome = await store.create(newAuction(overrides));
    if (!outcome.ok) throw new Error(outcome.code);
    return outcome.state.id;
  };
  const buyArgs = (auctionId: string, buyerId: string, requestId = ulid()) => ({
    auctionId,
    buyerId,
    requestId,
    idempotency: null,
    rateLimit: { max: 0, windowMs: 1_000 },
    eventLogLength: 10_000,
    idempotencyTtlSeconds: 60,
  });

  it('a buy-now resent with the same request id repeats its answer and closes once', async () => {
    const id = await created({ buyNowPrice: 9_000 });
    const requestId = ulid();
    const first = await runBuyNow(redis, buyArgs(id, 'alice', requestId));
    const again = await runBuyNow(redis, buyArgs(id, 'alice', requestId));
    expect(first).toMatchObject({
      ok: true,
      state: { closedBy: 'buy_now', leaderId: 'alice', currentPrice: 9_000 },
    });
    expect(again).toEqual(first);
    expect(await redis.zcard(auctionKeys(id).events)).toBe(2);
    expect(await runBuyNow(redis, buyArgs(id, 'alice'))).toMatchObject({ ok: false, code: 'auction_closed' });
    // The sweeper's close later: already closed, nothing written.
    expect(await runCloseAuction(redis, id, 10_000)).toMatchObject({ ok: false, code: 'already_closed' });
    expect(await redis.zcard(auctionKeys(id).events)).toBe(2);
  });

  it('the seller ends and cancels: the same close, checked against the stored seller', async () => {
    const ended = await created({ reservePrice: 1_000 });
    await store.placeBid({
      auctionId: ended,
      bidderId: 'bob',
      amount: 1_200,
      bidId: ulid(),
      idempotency: null,
    });
    expect(
      await runSellerClose(
        redis,
        { auctionId: ended, sellerId: 'intruder', requestId: ulid(), action: 'end' },
        10_000,
      ),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    const requestId = ulid();
    const end = await runSellerClose(
      redis,
      { auctionId: ended, sellerId: 'seller', requestId, action: 'end' },
      10_000,
    );
    if (!end.ok) throw new Error(end.code);
    expect(end.event).toMatchObject({ type: 'auction.closed', seq: 3 });
    expect(end.state).toMatchObject({
      closedBy: 'seller',
      cancelled: false,
      closedAt: end.now,
      endsAt: end.now,
    });
    expect(toAuctionView(end.state, end.now)).toMatchObject({
      winnerId: 'bob',
      finalPrice: 1_200,
      closedBy: 'seller',
    });
    // Resent: the same answer; a new request: closed.
    expect(
      await runSellerClose(redis, { auctionId: ended, sellerId: 'seller', requestId, action: 'end' }, 10_000),
    ).toEqual(end);
    expect(
      await runSellerClose(
        redis,
        { auctionId: ended, sellerId: 'seller', requestId: ulid(), action: 'end' },
        10_000,
      ),
    ).toMatchObject({ ok: false, code: 'auction_closed' });

    const cancelled = await created({ startsAt: Date.now() + 600_000, endsAt: Date.now() + 1_200_000 });
    const cancel = await runSellerClose(
      redis,
      {
        auctionId: cancelled,
        sellerId: 'seller',
        requestId: ulid(),
        action: 'cancel',
        reason: 'Wrong photos',
      },
      10_000,
    );
    if (!cancel.ok) throw new Error(cancel.code);
    expect(cancel.state).toMatchObject({ cancelled: true, cancelReason: 'Wrong photos', closedBy: 'seller' });
    expect(toAuctionView(cancel.state, cancel.now)).toMatchObject({
      status: 'closed',
      cancelled: true,
      winnerId: null,
    });
    // A bid on the scheduled auction the seller cancelled: closed, not "not open".
    expect(
      await store.placeBid({
        auctionId: cancelled,
        bidderId: 'bob',
        amount: 1_000,
        bidId: ulid(),
        idempotency: null,
      }),
    ).toMatchObject({ ok: false, code: 'auction_closed' });
    expect(
      await runSellerClose(
        redis,
        { auctionId: `none-${ulid()}`, sellerId: 'seller', requestId: ulid(), action: 'end' },
        10_000,
      ),
    ).toMatchObject({ ok: false, code: 'auction_not_found' });
  });

  it('the clock close records closedBy time', async () => {
    const id = await created({ endsAt: Date.now() + 300 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const closed = await runCloseAuction(redis, id, 10_000);
    if (!closed.ok) throw new Error(closed.code);
    expect(closed.state).toMatchObject({ closedBy: 'time', cancelled: false });
    expect(closed.event).toMatchObject({ type: 'auction.closed', payload: { state: { closedBy: 'time' } } });
  });
});
