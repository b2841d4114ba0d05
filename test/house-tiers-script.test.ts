import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import { toAuctionView } from '../functions/domain/auction.js';
import type { AuctionEventPayload } from '../functions/domain/events.js';
import { incrementAt } from '../functions/domain/increments.js';
import {
  type ChainBid,
  checkBidChain,
  decideProxyBid,
  type ProxyAuction,
} from '../functions/domain/proxy-bidding.js';
import { TIER_CASES, TIER_DEFAULTS, TIERS } from './support/tier-cases.js';

/**
 * Issue 29, "must show": on an auction with an increment table, every price the place-bid script
 * makes is the rule's: the hand-worked case table (test/support/tier-cases.ts, the same table the
 * pure rule passes), then random proxy storms run in lockstep with the pure reference
 * (decideProxyBid), on a single Redis and on the 3-node Cluster.
 */
const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

describe.each(targets)('tiered increments in the place-bid script on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  let store: RedisAuctionStore;
  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
    // No rate limit: the storms send many requests per bidder per second.
    store = new RedisAuctionStore(redis, {
      ...DEFAULT_AUCTION_STORE_LIMITS,
      bidRateLimit: { max: 0, windowMs: 1_000 },
    });
  });
  afterAll(async () => {
    await redis.quit();
  });

  const create = async (settings: {
    startingPrice: number;
    reservePrice: number | null;
    incrementTable: typeof TIERS;
  }) => {
    const id = `tier-${ulid()}`;
    const created = await store.create({
      id,
      title: 'Lot',
      sellerId: 'seller',
      ...settings,
      minIncrement: incrementAt(settings.incrementTable, settings.startingPrice),
      startsAt: null,
      endsAt: Date.now() + 3_600_000,
      antiSnipe: null,
    });
    if (!created.ok) throw new Error(created.code);
    return created;
  };

  it.each(TIER_CASES)('$name', async (testCase) => {
    const settings = { ...TIER_DEFAULTS, ...testCase.auction };
    const created = await create(settings);
    const id = created.state.id;
    expect(toAuctionView(created.state, created.now)).toMatchObject({
      minIncrement: incrementAt(settings.incrementTable, settings.startingPrice),
      minimumNextBid: settings.startingPrice,
      incrementTable: settings.incrementTable,
    });
    let seq = 1;
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
      const events = outcome.events.map((event) => ({
        ...event,
        payload: event.payload as AuctionEventPayload,
      }));
      const bids = events.flatMap((event) => (event.payload.bid ? [event.payload.bid] : []));
      expect(bids.map((bid) => [bid.bidderId, Number(bid.amount), bid.proxy === true])).toEqual(
        expected.changes,
      );
      for (const event of events) {
        // Every event's state carries the increment in force at its own price.
        const price = Number(event.payload.state.currentPrice);
        expect(Number(event.payload.state.minIncrement)).toBe(incrementAt(settings.incrementTable, price));
        const bid = event.payload.bid;
        if (bid)
          chain.push({
            seq: event.seq,
            bidderId: String(bid.bidderId),
            amount: Number(bid.amount),
            proxy: bid.proxy === true,
            maxAmount: bid.maxAmount === undefined ? null : Number(bid.maxAmount),
          });
      }
      seq += events.length;
      expect(outcome.state).toMatchObject({
        leaderId: expected.leader,
        currentPrice: expected.price,
        leaderMax: expected.leaderMax,
        seq,
      });
      const view = toAuctionView(outcome.state, outcome.now);
      expect(view.minIncrement).toBe(incrementAt(settings.incrementTable, expected.price));
      expect(view.minimumNextBid).toBe(expected.price + incrementAt(settings.incrementTable, expected.price));
    }
    expect(checkBidChain({ ...settings, minIncrement: 0 }, chain)).toEqual([]);
  });

  it('random proxy storms across the tiers: every decision is the reference rule’s', async () => {
    let decisions = 0;
    let tiersCrossed = 0;
    for (let round = 0; round < 8; round++) {
      const settings: { startingPrice: number; reservePrice: number | null; incrementTable: typeof TIERS } = {
        startingPrice: 100 + Math.floor(Math.random() * 900),
        reservePrice: round % 2 === 1 ? 3_000 + Math.floor(Math.random() * 20_000) : null,
        incrementTable: TIERS,
      };
      const created = await create(settings);
      const id = created.state.id;
      let reference: ProxyAuction = {
        ...settings,
        minIncrement: 0,
        currentPrice: null,
        leaderId: null,
        leaderMax: null,
      };
      for (let step = 0; step < 40; step++) {
        const bidderId = `u${Math.floor(Math.random() * 6)}`;
        const price = reference.currentPrice;
        const minimum = price === null ? settings.startingPrice : price + incrementAt(TIERS, price);
        // Mostly the minimum or a little above, sometimes too low; maxima reach over several tiers.
        const amount = Math.max(
          1,
          minimum + Math.floor((Math.random() - 0.1) * 3 * incrementAt(TIERS, minimum)),
        );
        const maxAmount = Math.random() < 0.6 ? amount + Math.floor(Math.random() * 30_000) : null;
        const expected = decideProxyBid(reference, { bidderId, amount, maxAmount });
        const outcome = await store.placeBid({
          auctionId: id,
          bidderId,
          amount,
          maxAmount,
          bidId: ulid(),
          idempotency: null,
        });
        decisions++;
        if (expected.kind !== 'accepted') {
          expect(outcome).toMatchObject({ ok: false, code: expected.kind });
          if (expected.kind === 'bid_too_low')
            expect(outcome).toMatchObject({ minimumBid: expected.minimumBid });
          continue;
        }
        if (!outcome.ok)
          throw new Error(`refused ${outcome.code}, the rule accepts ${JSON.stringify(expected)}`);
        const bids = outcome.events.flatMap((event) => {
          const bid = (event.payload as AuctionEventPayload).bid;
          return bid ? [[bid.bidderId, Number(bid.amount), bid.proxy === true]] : [];
        });
        expect(bids).toEqual(
          expected.changes.map((change) => [change.bidderId, change.amount, change.proxy]),
        );
        expect(outcome.state).toMatchObject({
          leaderId: expected.leaderId,
          currentPrice: expected.price,
          leaderMax: expected.leaderMax,
          minIncrement: incrementAt(TIERS, expected.price),
        });
        expect(outcome.outbid).toBe(expected.outbid);
        reference = {
          ...reference,
          currentPrice: expected.price,
          leaderId: expected.leaderId,
          leaderMax: expected.leaderMax,
        };
      }
      const top = reference.currentPrice ?? 0;
      tiersCrossed = Math.max(
        tiersCrossed,
        TIERS.filter((row) => row.from > settings.startingPrice && row.from <= top).length,
      );
    }
    expect(decisions).toBe(8 * 40);
    // Some storm crossed three tier boundaries (10 -> 50 -> 200 -> 1,000).
    expect(tiersCrossed).toBe(3);
  });

  it('the largest increment bounds the amounts (the next minimum stays a safe integer)', async () => {
    const created = await create({ ...TIER_DEFAULTS });
    const ceiling = Number.MAX_SAFE_INTEGER - 1_000;
    expect(
      await store.placeBid({
        auctionId: created.state.id,
        bidderId: 'a',
        amount: ceiling + 1,
        maxAmount: null,
        bidId: ulid(),
        idempotency: null,
      }),
    ).toMatchObject({ ok: false, code: 'above_ceiling', field: 'amount', maximumBid: ceiling });
  });
});
