import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import type { BidCommand, NewAuction } from '../functions/ports/auction-store.js';
import { newAuction } from './support/new-auction.js';

const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(targets)('auction Lua scripts on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  let store: RedisAuctionStore;

  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
    store = new RedisAuctionStore(redis, {
      ...DEFAULT_AUCTION_STORE_LIMITS,
      bidRateLimit: { max: 5, windowMs: 1_000 },
    });
  });
  afterAll(async () => {
    await redis.quit();
  });

  const created = async (overrides: Partial<NewAuction> = {}) => {
    const outcome = await store.create(newAuction(overrides));
    if (!outcome.ok) throw new Error(`create failed: ${outcome.code}`);
    return outcome.state;
  };
  const bid = (auctionId: string, bidderId: string, amount: number, extra: Partial<BidCommand> = {}) =>
    store.placeBid({ auctionId, bidderId, amount, bidId: ulid(), idempotency: null, ...extra });

  it('creates an auction at seq 1 with the server clock as default start, once', async () => {
    const input = newAuction();
    const first = await store.create(input);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.state.seq).toBe(1);
    expect(Math.abs(first.state.startsAt - Date.now())).toBeLessThan(5_000);
    expect(first.event).toMatchObject({ eventId: `a:${input.id}:1`, type: 'auction.created', seq: 1 });
    const again = await store.create(input);
    expect(again).toMatchObject({ ok: false, code: 'auction_exists' });
  });

  it('refuses schedules that end before they start, in the past, or beyond 30 days', async () => {
    const now = Date.now();
    expect(await store.create(newAuction({ startsAt: now + 60_000, endsAt: now + 30_000 }))).toMatchObject({
      ok: false,
      code: 'invalid_schedule',
      field: 'endsAt',
    });
    expect(await store.create(newAuction({ startsAt: now - 60_000, endsAt: now - 30_000 }))).toMatchObject({
      code: 'invalid_schedule',
    });
    expect(await store.create(newAuction({ endsAt: now + 31 * 24 * 3_600_000 }))).toMatchObject({
      code: 'invalid_schedule',
    });
  });

  it('applies every bidding rule', async () => {
    const auction = await created();
    expect(await bid('missing-auction', 'u1', 5_000)).toMatchObject({ ok: false, code: 'auction_not_found' });
    expect(await bid(auction.id, 'seller', 5_000)).toMatchObject({ ok: false, code: 'seller_cannot_bid' });
    expect(await bid(auction.id, 'u1', 999)).toMatchObject({
      ok: false,
      code: 'bid_too_low',
      minimumBid: 1_000,
    });
    const first = await bid(auction.id, 'u1', 1_000);
    expect(first).toMatchObject({ ok: true, bid: { amount: 1_000, seq: 2, bidderId: 'u1' } });
    expect(await bid(auction.id, 'u1', 5_000)).toMatchObject({ ok: false, code: 'already_leading' });
    expect(await bid(auction.id, 'u2', 1_099)).toMatchObject({
      ok: false,
      code: 'bid_too_low',
      minimumBid: 1_100,
    });
    const second = await bid(auction.id, 'u2', 1_100);
    expect(second).toMatchObject({
      ok: true,
      state: { currentPrice: 1_100, leaderId: 'u2', bidCount: 2, seq: 3 },
    });
  });

  it('refuses bids before the start and from the end on', async () => {
    const scheduled = await created({ startsAt: Date.now() + 60_000 });
    expect(await bid(scheduled.id, 'u1', 1_000)).toMatchObject({ ok: false, code: 'auction_not_open' });
    const ending = await created({ endsAt: Date.now() + 400 });
    expect(await bid(ending.id, 'u1', 1_000)).toMatchObject({ ok: true });
    await sleep(500);
    expect(await bid(ending.id, 'u2', 5_000)).toMatchObject({ ok: false, code: 'auction_closed' });
  });

  it('extends the end inside the anti-snipe window, at most maxExtensions times', async () => {
    const auction = await created({
      endsAt: Date.now() + 2_000,
      antiSnipe: { windowSeconds: 10, extendSeconds: 20, maxExtensions: 2 },
    });
    const first = await bid(auction.id, 'u1', 1_000);
    if (!first.ok) throw new Error(first.code);
    expect(first.extended).toBe(true);
    expect(first.state.extensions).toBe(1);
    expect(first.state.endsAt).toBe(first.now + 20_000);
    // 20 s left is outside a 10 s window: no extension.
    const second = await bid(auction.id, 'u2', 1_100);
    if (!second.ok) throw new Error(second.code);
    expect(second.extended).toBe(false);
    expect(second.state.endsAt).toBe(first.state.endsAt);
  });

  it('stops extending after maxExtensions', async () => {
    const auction = await created({
      endsAt: Date.now() + 1_000,
      antiSnipe: { windowSeconds: 60, extendSeconds: 5, maxExtensions: 2 },
    });
    const outcomes = [];
    for (const [index, bidder] of ['u1', 'u2', 'u3', 'u4'].entries()) {
      const result = await bid(auction.id, bidder, 1_000 + index * 100);
      if (!result.ok) throw new Error(result.code);
      outcomes.push(result);
      await sleep(20);
    }
    expect(outcomes.map((outcome) => outcome.state.extensions)).toEqual([1, 2, 2, 2]);
    expect(outcomes.map((outcome) => outcome.extended)).toEqual([true, true, false, false]);
  });

  it('rate-limits per user per auction with a retry hint', async () => {
    const auction = await created();
    const other = await created();
    const results = [];
    for (let index = 0; index < 7; index++) results.push(await bid(auction.id, 'spammer', 1));
    expect(results.filter((result) => !result.ok && result.code === 'bid_too_low')).toHaveLength(5);
    const limited = results.at(-1);
    expect(limited).toMatchObject({ ok: false, code: 'rate_limited' });
    if (limited && !limited.ok && limited.code === 'rate_limited')
      expect(limited.retryAfterMs).toBeGreaterThan(0);
    // Another auction, another budget.
    expect(await bid(other.id, 'spammer', 1_000)).toMatchObject({ ok: true });
  });

  it('replays a decision for the same Idempotency-Key and refuses the key with another request', async () => {
    const auction = await created();
    const idempotency = { key: 'k-1', fingerprint: 'fp-a' };
    const first = await bid(auction.id, 'u1', 1_000, { idempotency });
    const replay = await bid(auction.id, 'u1', 1_000, { idempotency });
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(replay).toMatchObject({ ok: true, replayed: true });
    if (!first.ok || !replay.ok) return;
    expect(replay.bid).toEqual(first.bid);
    expect(replay.now).toBe(first.now);
    expect(
      await bid(auction.id, 'u1', 2_000, { idempotency: { key: 'k-1', fingerprint: 'fp-b' } }),
    ).toMatchObject({
      ok: false,
      code: 'idempotency_key_reused',
    });
    const { state } = await store.read(auction.id);
    expect(state?.bidCount).toBe(1);
  });

  it('does not keep a 404 under an Idempotency-Key: the retry after the auction appears is decided', async () => {
    const id = `late-${ulid()}`;
    const idempotency = { key: `k-${id}`, fingerprint: 'fp-late' };
    expect(await bid(id, 'u1', 1_000, { idempotency })).toMatchObject({
      ok: false,
      code: 'auction_not_found',
    });
    await created({ id });
    expect(await bid(id, 'u1', 1_000, { idempotency })).toMatchObject({ ok: true, replayed: false });
  });

  it('records each accepted bid in the bounded event log and the outbox with its seq', async () => {
    const auction = await created();
    await bid(auction.id, 'u1', 1_000);
    await bid(auction.id, 'u2', 1_100);
    const events = await store.events(auction.id, 0, 500);
    expect(events.map((event) => [event.seq, event.type])).toEqual([
      [1, 'auction.created'],
      [2, 'bid.accepted'],
      [3, 'bid.accepted'],
    ]);
    expect((await store.events(auction.id, 2, 500)).map((event) => event.seq)).toEqual([3]);
    const outbox = await redis.hkeys(auctionKeys(auction.id).outbox);
    expect(outbox.sort()).toEqual([`a:${auction.id}:1`, `a:${auction.id}:2`, `a:${auction.id}:3`]);
    await store.acknowledge(events);
    expect(await redis.hlen(auctionKeys(auction.id).outbox)).toBe(0);
    const bids = await store.recentBids(auction.id, 10);
    expect(bids.map((b) => b.amount)).toEqual([1_100, 1_000]);
  });

  it('keeps money exact up to Number.MAX_SAFE_INTEGER', async () => {
    const big = Number.MAX_SAFE_INTEGER - 10;
    const auction = await created({ startingPrice: big - 1, minIncrement: 1 });
    const result = await bid(auction.id, 'u1', big);
    expect(result).toMatchObject({ ok: true, state: { currentPrice: big }, bid: { amount: big } });
    expect(await bid(auction.id, 'u2', big)).toMatchObject({
      ok: false,
      code: 'bid_too_low',
      minimumBid: big + 1,
    });
  });

  it('never discloses the reserve price but says whether it is met', async () => {
    const auction = await created({ reservePrice: 1_500 });
    const below = await bid(auction.id, 'u1', 1_000);
    if (!below.ok) throw new Error(below.code);
    expect(below.state.reservePrice).toBe(1_500);
    const raw = await redis.hgetall(auctionKeys(auction.id).state);
    expect(raw.reservePrice).toBe('1500');
  });

  if (cluster) {
    it('keeps all keys of one auction in one slot', async () => {
      const keys = auctionKeys('some-auction');
      const slots = await Promise.all(
        [
          keys.state,
          keys.bids,
          keys.events,
          keys.outbox,
          keys.rateLimit('u'),
          keys.idempotency('u', 'k'),
        ].map((key) => (redis as import('ioredis').Cluster).cluster('KEYSLOT', key)),
      );
      expect(new Set(slots).size).toBe(1);
    });
  }
});
