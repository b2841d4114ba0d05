import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auctionKeys } from '../functions/adapters/redis/auction-keys.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import type { AuctionEventPayload } from '../functions/domain/events.js';
import { type ChainBid, checkBidChain } from '../functions/domain/proxy-bidding.js';
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
});
