import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ChainBid, checkBidChain, decideProxyBid } from '../functions/domain/proxy-bidding.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

const BIDDERS = 80;
const STARTING_PRICE = 1_000;
const INCREMENT = 10;
/**
 * Maxima are multiples of this step: more than two increments apart, so a bidder whose maximum is
 * above the runner-up's is never priced out before it bids (the price stays within one increment
 * of the second-highest maximum seen so far).
 */
const MAX_STEP = 100;

interface Attempt {
  bidder: string;
  max: number;
  /** seq of the bidder's accepted bid, when one was accepted. */
  seq?: number;
  outbid?: boolean;
  gaveUpAt?: number;
  statuses: number[];
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
type Json = Record<string, any>;

const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

describe.each(targets)('proxy bidders with random maxima firing at once ($name)', ({ url, cluster }) => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: url(), cluster, sqsEndpoint: inject('sqsEndpoint') });
  });
  afterAll(() => fx.close());

  /** Every bidder bids the minimum with their maximum, and bids the new minimum when too low. */
  async function storm(auctionId: string, maxima: number[]): Promise<Attempt[]> {
    const tokens = await Promise.all(maxima.map((_, index) => tokenFor(`proxy-${index}`)));
    return Promise.all(
      maxima.map(async (max, index) => {
        const attempt: Attempt = { bidder: `proxy-${index}`, max, statuses: [] };
        let amount = STARTING_PRICE;
        for (;;) {
          const response = await fx.request(`/auctions/${auctionId}/bids`, {
            method: 'POST',
            token: tokens[index] as string,
            body: { amount, maxAmount: max },
          });
          const body = (await response.json()) as Json;
          attempt.statuses.push(response.status);
          if (response.status === 201) {
            expect(body.bid).toMatchObject({ bidderId: attempt.bidder, amount, maxAmount: max });
            expect(body.outbid === true).toBe(body.auction.leaderId !== attempt.bidder);
            attempt.seq = body.bid.seq;
            attempt.outbid = body.outbid === true;
            return attempt;
          }
          if (response.status !== 409 || body.error?.code !== 'bid_too_low') return attempt;
          if (body.error.minimumBid > max) {
            attempt.gaveUpAt = body.error.minimumBid;
            return attempt;
          }
          amount = body.error.minimumBid;
        }
      }),
    );
  }

  async function allEvents(auctionId: string): Promise<Json[]> {
    const events: Json[] = [];
    let since = 0;
    for (;;) {
      const page = (await (await fx.request(`/auctions/${auctionId}/events?since=${since}`)).json()) as Json;
      events.push(...page.events);
      if (page.next === null) return events;
      since = page.next;
    }
  }

  const cases = [
    {
      name: 'a unique highest maximum',
      maxima: () => {
        const maxima = Array.from(
          { length: BIDDERS },
          () => STARTING_PRICE + MAX_STEP * Math.floor(Math.random() * 40),
        );
        maxima[Math.floor(Math.random() * BIDDERS)] = STARTING_PRICE + MAX_STEP * 45;
        return maxima;
      },
    },
    {
      name: 'three bidders tied at the highest maximum',
      maxima: () => {
        const maxima = Array.from(
          { length: BIDDERS },
          () => STARTING_PRICE + MAX_STEP * Math.floor(Math.random() * 40),
        );
        for (const index of [3, 41, 77]) maxima[index] = STARTING_PRICE + MAX_STEP * 45;
        return maxima;
      },
    },
  ];

  it.each(cases)(
    '$name: the highest maximum leads (earliest on ties) at the rule’s price, the chain is valid',
    async ({ maxima: makeMaxima }) => {
      const auction = await fx.createAuction({ startingPrice: STARTING_PRICE, minIncrement: INCREMENT });
      const maxima = makeMaxima();
      const attempts = await storm(auction.id, maxima);

      const statuses = new Set(attempts.flatMap((attempt) => attempt.statuses));
      expect([...statuses].sort()).toEqual([...statuses].filter((s) => s === 201 || s === 409).sort());
      expect(attempts.every((attempt) => attempt.seq !== undefined || attempt.gaveUpAt !== undefined)).toBe(
        true,
      );

      const { auction: final } = (await (await fx.request(`/auctions/${auction.id}`)).json()) as Json;
      // The winner: the highest maximum, the earliest accepted bid among equal maxima.
      const ranked = [...attempts].sort(
        (a, b) => b.max - a.max || (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER),
      );
      const [winner, runnerUp] = ranked as [Attempt, Attempt];
      expect(winner.seq).toBeDefined();
      expect(final.leaderId).toBe(winner.bidder);
      expect(winner.outbid).toBe(false);

      // The price is what the rule gives for the two highest maxima alone, in the order they bid.
      const [earlier, later] =
        (runnerUp.seq ?? Number.MAX_SAFE_INTEGER) < (winner.seq as number)
          ? [runnerUp, winner]
          : [winner, runnerUp];
      const empty = {
        startingPrice: STARTING_PRICE,
        minIncrement: INCREMENT,
        reservePrice: null,
        currentPrice: null,
        leaderId: null,
        leaderMax: null,
      };
      const opening = decideProxyBid(empty, {
        bidderId: earlier.bidder,
        amount: STARTING_PRICE,
        maxAmount: earlier.max,
      });
      if (opening.kind !== 'accepted') throw new Error(opening.kind);
      const answer = decideProxyBid(
        { ...empty, currentPrice: opening.price, leaderId: opening.leaderId, leaderMax: opening.leaderMax },
        { bidderId: later.bidder, amount: opening.price + INCREMENT, maxAmount: later.max },
      );
      if (answer.kind !== 'accepted') throw new Error(answer.kind);
      expect(answer.leaderId).toBe(winner.bidder);
      expect(final.currentPrice).toBe(answer.price);
      expect(final.currentPrice).toBe(Math.min(winner.max, runnerUp.max + INCREMENT));

      // The recorded chain: contiguous seq, every bid event's bidder leads at its amount, valid with
      // every bidder's maximum known, bidCount counts every recorded bid, proxy raises included.
      const events = await allEvents(auction.id);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
      const bidEvents = events.filter((event) => event.type === 'bid.accepted');
      expect(bidEvents).toHaveLength(events.length - 1);
      const maxOf = new Map(attempts.map((attempt) => [attempt.bidder, attempt.max]));
      const chain: ChainBid[] = bidEvents.map((event) => {
        expect(event.auction).toMatchObject({ leaderId: event.bid.bidderId, currentPrice: event.bid.amount });
        return {
          seq: event.seq,
          bidderId: event.bid.bidderId,
          amount: event.bid.amount,
          proxy: event.bid.proxy === true,
          maxAmount: maxOf.get(event.bid.bidderId) as number,
        };
      });
      expect(
        checkBidChain({ startingPrice: STARTING_PRICE, minIncrement: INCREMENT, reservePrice: null }, chain),
      ).toEqual([]);
      const accepted = attempts.filter((attempt) => attempt.seq !== undefined);
      const proxyRaises = chain.filter((bid) => bid.proxy).length;
      expect(chain.length).toBe(accepted.length + proxyRaises);
      expect(final.bidCount).toBe(chain.length);
      expect(final.seq).toBe(events.length);
      expect(chain.at(-1)).toMatchObject({ bidderId: winner.bidder, amount: final.currentPrice });
      // Every 201 is in the chain at its seq, as the bidder's own bid.
      for (const attempt of accepted) {
        expect(chain.find((bid) => bid.seq === attempt.seq)).toMatchObject({
          bidderId: attempt.bidder,
          proxy: false,
        });
      }
      // A bidder priced out never had a maximum that could have won.
      for (const attempt of attempts.filter((a) => a.gaveUpAt !== undefined)) {
        expect(attempt.max).toBeLessThanOrEqual(winner.max);
      }
    },
  );
});
