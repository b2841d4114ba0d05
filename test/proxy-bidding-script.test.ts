import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { runCloseAuction } from '../functions/adapters/redis/lua/auction/close-auction.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { toAuctionView } from '../functions/domain/auction.js';
import type { AuctionEventPayload } from '../functions/domain/events.js';
import { type ChainBid, checkBidChain } from '../functions/domain/proxy-bidding.js';
import type { NewAuction } from '../functions/ports/auction-store.js';
import { PROXY_CASES, PROXY_DEFAULTS } from './support/proxy-cases.js';

const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

describe.each(targets)('proxy bidding in the place-bid script on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  let store: RedisAuctionStore;
  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
    store = new RedisAuctionStore(redis, DEFAULT_AUCTION_STORE_LIMITS);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it.each(PROXY_CASES)('$name', async (testCase) => {
    const settings = { ...PROXY_DEFAULTS, ...testCase.auction };
    const id = `px-${ulid()}`;
    const created = await store.create({
      id,
      title: 'Lot',
      sellerId: 'seller',
      ...settings,
      startsAt: null,
      endsAt: Date.now() + 3_600_000,
      antiSnipe: null,
    });
    expect(created.ok).toBe(true);
    let seq = 1;
    let bidCount = 0;
    const chain: ChainBid[] = [];
    for (const step of testCase.steps) {
      const outcome = await store.placeBid({
        auctionId: id,
        bidderId: step.bidder,
        amount: step.amount,
        maxAmount: step.maxAmount ?? null,
        bidId: ulid(),
        idempotency: null,
      });
      const expected = step.expect;
      if ('refused' in expected) {
        expect(outcome).toMatchObject({ ok: false, code: expected.refused });
        if (expected.refused === 'bid_too_low')
          expect(outcome).toMatchObject({ minimumBid: expected.minimumBid });
        continue;
      }
      if (!outcome.ok) throw new Error(`step refused: ${outcome.code}`);
      expect({ outbid: outcome.outbid, maxRaised: outcome.maxRaised }).toEqual({
        outbid: expected.outbid ?? false,
        maxRaised: expected.maxRaised ?? false,
      });
      // Every price change is a recorded bid with its own seq; a raise of the maximum alone is one
      // bid.max_raised event.
      const events = outcome.events.map((event) => ({
        ...event,
        payload: event.payload as AuctionEventPayload,
      }));
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => seq + 1 + index));
      const bids = events.flatMap((event) => (event.payload.bid ? [event.payload.bid] : []));
      expect(bids.map((bid) => [bid.bidderId, Number(bid.amount), bid.proxy === true])).toEqual(
        expected.changes,
      );
      if (expected.changes.length === 0)
        expect(events.map((event) => event.type)).toEqual(['bid.max_raised']);
      for (const event of events) {
        if (event.payload.bid) {
          // Each bid event's state is that bid's effect: its bidder leads at its amount.
          expect(event.payload.state.leaderId).toBe(event.payload.bid.bidderId);
          expect(event.payload.state.currentPrice).toBe(String(event.payload.bid.amount));
        }
      }
      seq += events.length;
      bidCount += bids.length;
      expect(outcome.state).toMatchObject({
        leaderId: expected.leader,
        currentPrice: expected.price,
        leaderMax: expected.leaderMax,
        seq,
        bidCount,
      });
      // The request's own bid as its bidder sees it: with their maximum.
      expect(outcome.bid.bidderId).toBe(step.bidder);
      expect(outcome.bid.maxAmount).toBe(step.maxAmount);
      for (const event of events) {
        const bid = event.payload.bid;
        if (bid) {
          chain.push({
            seq: event.seq,
            bidderId: String(bid.bidderId),
            amount: Number(bid.amount),
            proxy: bid.proxy === true,
            maxAmount: bid.maxAmount === undefined ? null : Number(bid.maxAmount),
          });
        } else {
          chain.push({
            seq: event.seq,
            bidderId: event.payload.state.leaderId as string,
            amount: 0,
            proxy: false,
            maxAmount: Number(event.payload.state.leaderMax),
            maxRaise: true,
          });
        }
      }
    }
    expect(checkBidChain(settings, chain)).toEqual([]);

    const keys = auctionKeys(id);
    const [hash, list, logged, outbox] = await Promise.all([
      redis.hgetall(keys.state),
      redis.lrange(keys.bids, 0, -1),
      redis.zrange(keys.events, 0, -1),
      redis.hkeys(keys.outbox),
    ]);
    expect(Number(hash.seq)).toBe(seq);
    expect(Number(hash.bidCount)).toBe(bidCount);
    // The public list holds every recorded bid, newest first, and never a maximum.
    expect(list).toHaveLength(bidCount);
    expect(list.map((entry) => JSON.parse(entry).seq)).toEqual(
      chain
        .filter((bid) => !bid.maxRaise)
        .map((bid) => bid.seq)
        .reverse(),
    );
    expect(list.join('')).not.toContain('maxAmount');
    expect(logged).toHaveLength(seq);
    expect(outbox).toHaveLength(seq);
  });

  const newAuction = async (overrides: Partial<NewAuction> = {}, on = store) => {
    const created = await on.create({
      id: `px-${ulid()}`,
      title: 'Lot',
      sellerId: 'seller',
      ...PROXY_DEFAULTS,
      startsAt: null,
      endsAt: Date.now() + 3_600_000,
      antiSnipe: null,
      ...overrides,
    });
    if (!created.ok) throw new Error(created.code);
    return created.state.id;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const bidOn = (auctionId: string, bidderId: string, amount: number, maxAmount: number | null, on = store) =>
    on.placeBid({ auctionId, bidderId, amount, maxAmount, bidId: ulid(), idempotency: null });

  it('anti-sniping: a request extends once for its two price changes; a new maximum alone does not', async () => {
    const id = await newAuction({
      endsAt: Date.now() + 2_000,
      antiSnipe: { windowSeconds: 30, extendSeconds: 20, maxExtensions: 10 },
    });
    const first = await bidOn(id, 'a', 1_000, 5_000);
    if (!first.ok) throw new Error(first.code);
    expect(first.state.extensions).toBe(1);
    await sleep(5);
    const outbid = await bidOn(id, 'b', 1_100, 3_000);
    if (!outbid.ok) throw new Error(outbid.code);
    expect(outbid.events).toHaveLength(2);
    expect(outbid.extended).toBe(true);
    expect(outbid.events.map((event) => (event.payload as AuctionEventPayload).extended)).toEqual([
      true,
      false,
    ]);
    expect(outbid.state.extensions).toBe(2);
    await sleep(5);
    const raised = await bidOn(id, 'a', 3_200, 9_000);
    if (!raised.ok) throw new Error(raised.code);
    expect(raised.maxRaised).toBe(true);
    expect(raised.extended).toBe(false);
    expect(raised.state).toMatchObject({ extensions: 2, endsAt: outbid.state.endsAt, currentPrice: 3_100 });
  });

  it('proxy raises do not count against the raised bidder’s rate limit', async () => {
    const limited = new RedisAuctionStore(redis, {
      ...DEFAULT_AUCTION_STORE_LIMITS,
      bidRateLimit: { max: 2, windowMs: 10_000 },
    });
    const id = await newAuction({}, limited);
    expect(await bidOn(id, 'a', 1_000, 5_000, limited)).toMatchObject({ ok: true });
    expect(await bidOn(id, 'b', 1_100, 2_000, limited)).toMatchObject({ ok: true, outbid: true });
    expect(await bidOn(id, 'a', 2_200, 6_000, limited)).toMatchObject({ ok: true, maxRaised: true });
    expect(await bidOn(id, 'a', 2_200, 7_000, limited)).toMatchObject({ ok: false, code: 'rate_limited' });
  });

  it('the close names the leader at the price, never at a maximum', async () => {
    const id = await newAuction({ endsAt: Date.now() + 500, reservePrice: 1_500 });
    expect(await bidOn(id, 'a', 1_000, 5_000)).toMatchObject({ ok: true, state: { currentPrice: 1_500 } });
    expect(await bidOn(id, 'b', 1_600, 2_000)).toMatchObject({ ok: true, outbid: true });
    await sleep(600);
    const closed = await runCloseAuction(redis, id, 10_000);
    if (!closed.ok) throw new Error(closed.code);
    expect(toAuctionView(closed.state, closed.now)).toMatchObject({
      status: 'closed',
      winnerId: 'a',
      finalPrice: 2_100,
      currentPrice: 2_100,
      reserveMet: true,
      bidCount: 4,
    });
  });
});
