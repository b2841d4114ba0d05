import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

const BIDDERS = 50;
const BIDS_PER_BIDDER = 40;
const STARTING_PRICE = 1_000;
const INCREMENT = 10;

interface Outcome {
  bidder: string;
  amount: number;
  status: number;
  body: { bid?: { seq: number; amount: number; bidderId: string }; error?: { code: string } };
}

const targets = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

describe.each(targets)('2,000 concurrent bids from 50 bidders on one auction ($name)', ({ url, cluster }) => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: url(), cluster, sqsEndpoint: inject('sqsEndpoint') });
  });
  afterAll(() => fx.close());

  it('decides every bid atomically: one leader, the highest valid bid wins, increments hold in seq order', async () => {
    const auction = await fx.createAuction({ startingPrice: STARTING_PRICE, minIncrement: INCREMENT });
    const tokens = await Promise.all(
      Array.from({ length: BIDDERS }, (_, index) => tokenFor(`bidder-${index}`)),
    );
    // Amounts collide on purpose (many equal and near-equal bids) to stress the increment rule.
    const attempts = tokens.flatMap((token, index) =>
      Array.from({ length: BIDS_PER_BIDDER }, () => ({
        token,
        bidder: `bidder-${index}`,
        amount: STARTING_PRICE + Math.floor(Math.random() * 400) * 5,
      })),
    );
    const outcomes: Outcome[] = await Promise.all(
      attempts.map(async ({ token, bidder, amount }) => {
        const response = await fx.request(`/auctions/${auction.id}/bids`, {
          method: 'POST',
          token,
          body: { amount },
        });
        return { bidder, amount, status: response.status, body: (await response.json()) as Outcome['body'] };
      }),
    );

    const statuses = new Set(outcomes.map((outcome) => outcome.status));
    expect(
      [...statuses].every((status) => status === 201 || status === 409),
      [...statuses].join(','),
    ).toBe(true);

    const accepted = outcomes
      .filter((outcome) => outcome.status === 201)
      .map((outcome) => outcome.body.bid as { seq: number; amount: number; bidderId: string })
      .sort((a, b) => a.seq - b.seq);
    expect(accepted.length).toBeGreaterThan(0);

    const { auction: final } = (await (await fx.request(`/auctions/${auction.id}`)).json()) as {
      auction: { bidCount: number; currentPrice: number; leaderId: string; seq: number };
    };
    expect(final.bidCount).toBe(accepted.length);
    expect(final.seq).toBe(accepted.length + 1);
    // seq is contiguous: no accepted bid is missing or doubled.
    expect(accepted.map((bid) => bid.seq)).toEqual(accepted.map((_, index) => index + 2));
    for (let index = 1; index < accepted.length; index++) {
      const previous = accepted[index - 1]!;
      const current = accepted[index]!;
      expect(current.amount).toBeGreaterThanOrEqual(previous.amount + INCREMENT);
      expect(current.bidderId).not.toBe(previous.bidderId);
    }
    const last = accepted.at(-1)!;
    expect(final.currentPrice).toBe(last.amount);
    expect(final.leaderId).toBe(last.bidderId);
    expect(final.currentPrice).toBe(Math.max(...accepted.map((bid) => bid.amount)));
    // Every refused "too low" bid really was below the minimum at some point: never above the final minimum.
    for (const outcome of outcomes.filter((o) => o.body.error?.code === 'bid_too_low')) {
      expect(outcome.amount).toBeLessThan(final.currentPrice + INCREMENT);
    }
    expect(
      outcomes
        .filter((o) => o.status === 409)
        .every((o) => ['bid_too_low', 'already_leading'].includes(o.body.error?.code ?? '')),
    ).toBe(true);

    // The event log holds exactly the accepted bids, in seq order.
    const { events } = (await (await fx.request(`/auctions/${auction.id}/events`)).json()) as {
      events: { seq: number; bid?: { amount: number } }[];
    };
    expect(events.filter((event) => event.bid).map((event) => event.bid?.amount)).toEqual(
      accepted.map((bid) => bid.amount),
    );
  });
});
