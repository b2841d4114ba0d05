/**
 * The table of proxy-bidding cases (API.md v1.1). The same table runs against the pure rule
 * (functions/domain/proxy-bidding.test.ts) and against the place-bid script on a single Redis and on
 * the 3-node Cluster (test/proxy-bidding-script.test.ts). Every case starts on a fresh auction
 * (starting price 1,000, increment 100 unless given); each step is one request and what it must do.
 */

/** [bidder, amount, proxy] of each recorded bid the step makes, in seq order. */
export type ExpectedChange = [bidder: string, amount: number, proxy: boolean];

export type ExpectedStep =
  | { refused: 'bid_too_low'; minimumBid: number }
  | { refused: 'already_leading' }
  | {
      changes: ExpectedChange[];
      leader: string;
      price: number;
      /** The leader's maximum after the step (null: none given). */
      leaderMax: number | null;
      outbid?: boolean;
      maxRaised?: boolean;
    };

export interface ProxyStep {
  bidder: string;
  amount: number;
  maxAmount?: number;
  expect: ExpectedStep;
}

export interface ProxyCase {
  name: string;
  auction?: { startingPrice?: number; minIncrement?: number; reservePrice?: number | null };
  steps: ProxyStep[];
}

export const PROXY_DEFAULTS = { startingPrice: 1_000, minIncrement: 100, reservePrice: null };

const lead = (
  changes: ExpectedChange[],
  leader: string,
  price: number,
  leaderMax: number | null,
  extra: { outbid?: boolean; maxRaised?: boolean } = {},
): ExpectedStep => ({ changes, leader, price, leaderMax, ...extra });

export const PROXY_CASES: ProxyCase[] = [
  {
    name: 'a first bid with a maximum leads at its amount',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 5_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 5_000),
      },
    ],
  },
  {
    name: 'a bid without a maximum below the leader maximum: outbid, the leader raised by one increment',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 5_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 5_000),
      },
      {
        bidder: 'b',
        amount: 1_100,
        expect: lead(
          [
            ['b', 1_100, false],
            ['a', 1_200, true],
          ],
          'a',
          1_200,
          5_000,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'a challenger maximum below the leader maximum: the leader at that maximum + increment',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 5_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 5_000),
      },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 3_000,
        expect: lead(
          [
            ['b', 1_100, false],
            ['a', 3_100, true],
          ],
          'a',
          3_100,
          5_000,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'equal maxima go to the earlier bidder, at that maximum',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 3_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 3_000),
      },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 3_000,
        expect: lead(
          [
            ['b', 1_100, false],
            ['a', 3_000, true],
          ],
          'a',
          3_000,
          3_000,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'a challenger bidding exactly the leader maximum is outbid at it',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 3_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 3_000),
      },
      {
        bidder: 'b',
        amount: 3_000,
        expect: lead(
          [
            ['b', 3_000, false],
            ['a', 3_000, true],
          ],
          'a',
          3_000,
          3_000,
          { outbid: true },
        ),
      },
      // Now at the maximum, the next bid takes the lead as in v1.
      { bidder: 'c', amount: 3_100, expect: lead([['c', 3_100, false]], 'c', 3_100, null) },
    ],
  },
  {
    name: 'a challenger maximum above the leader maximum: the challenger at the leader maximum + increment',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 3_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 3_000),
      },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 5_000,
        expect: lead(
          [
            ['b', 1_100, false],
            ['b', 3_100, true],
          ],
          'b',
          3_100,
          5_000,
        ),
      },
    ],
  },
  {
    name: 'an increment that overshoots the challenger maximum stops at that maximum',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 3_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 3_000),
      },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 3_050,
        expect: lead(
          [
            ['b', 1_100, false],
            ['b', 3_050, true],
          ],
          'b',
          3_050,
          3_050,
        ),
      },
    ],
  },
  {
    name: 'an increment that overshoots the leader maximum stops at that maximum',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 3_050,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 3_050),
      },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 3_000,
        expect: lead(
          [
            ['b', 1_100, false],
            ['a', 3_050, true],
          ],
          'a',
          3_050,
          3_050,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'a challenger amount above the leader maximum + increment stands at that amount',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 1_500,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 1_500),
      },
      { bidder: 'b', amount: 2_000, expect: lead([['b', 2_000, false]], 'b', 2_000, null) },
    ],
  },
  {
    name: 'a maximum against a leader without one leads at its amount',
    steps: [
      { bidder: 'a', amount: 1_000, expect: lead([['a', 1_000, false]], 'a', 1_000, null) },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 5_000,
        expect: lead([['b', 1_100, false]], 'b', 1_100, 5_000),
      },
      {
        bidder: 'a',
        amount: 1_200,
        expect: lead(
          [
            ['a', 1_200, false],
            ['b', 1_300, true],
          ],
          'b',
          1_300,
          5_000,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'bids without maxima work as in v1',
    steps: [
      { bidder: 'a', amount: 1_000, expect: lead([['a', 1_000, false]], 'a', 1_000, null) },
      { bidder: 'b', amount: 1_100, expect: lead([['b', 1_100, false]], 'b', 1_100, null) },
      { bidder: 'b', amount: 1_200, expect: { refused: 'already_leading' } },
      { bidder: 'a', amount: 1_150, expect: { refused: 'bid_too_low', minimumBid: 1_200 } },
      { bidder: 'a', amount: 1_250, expect: lead([['a', 1_250, false]], 'a', 1_250, null) },
    ],
  },
  {
    name: 'the leader raising their own maximum: price unchanged, and it holds against the next bid',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 2_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 2_000),
      },
      {
        bidder: 'a',
        amount: 1_100,
        maxAmount: 4_000,
        expect: lead([], 'a', 1_000, 4_000, { maxRaised: true }),
      },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 3_000,
        expect: lead(
          [
            ['b', 1_100, false],
            ['a', 3_100, true],
          ],
          'a',
          3_100,
          4_000,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'the leader without a higher maximum is already leading',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 2_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 2_000),
      },
      { bidder: 'a', amount: 1_100, maxAmount: 2_000, expect: { refused: 'already_leading' } },
      { bidder: 'a', amount: 1_100, maxAmount: 1_500, expect: { refused: 'already_leading' } },
      { bidder: 'a', amount: 1_100, expect: { refused: 'already_leading' } },
      // A leader without a maximum may give one.
      { bidder: 'b', amount: 2_100, expect: lead([['b', 2_100, false]], 'b', 2_100, null) },
      {
        bidder: 'b',
        amount: 2_200,
        maxAmount: 2_200,
        expect: lead([], 'b', 2_100, 2_200, { maxRaised: true }),
      },
    ],
  },
  {
    name: 'a bid below the minimum is too low, whatever its maximum',
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 2_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 2_000),
      },
      { bidder: 'b', amount: 1_000, maxAmount: 9_000, expect: { refused: 'bid_too_low', minimumBid: 1_100 } },
      { bidder: 'b', amount: 999, maxAmount: 9_000, expect: { refused: 'bid_too_low', minimumBid: 1_100 } },
    ],
  },
  {
    name: 'reserve: a first maximum above the reserve lifts the price to it',
    auction: { reservePrice: 3_000 },
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 5_000,
        expect: lead(
          [
            ['a', 1_000, false],
            ['a', 3_000, true],
          ],
          'a',
          3_000,
          5_000,
        ),
      },
    ],
  },
  {
    name: 'reserve: a maximum exactly at the reserve lifts the price to it',
    auction: { reservePrice: 2_000 },
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 2_000,
        expect: lead(
          [
            ['a', 1_000, false],
            ['a', 2_000, true],
          ],
          'a',
          2_000,
          2_000,
        ),
      },
    ],
  },
  {
    name: 'reserve: a maximum below the reserve does not lift',
    auction: { reservePrice: 3_000 },
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 2_500,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 2_500),
      },
    ],
  },
  {
    name: 'reserve: a challenger who takes the lead with a maximum above the reserve is lifted to it',
    auction: { reservePrice: 3_000 },
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 1_500,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 1_500),
      },
      {
        bidder: 'b',
        amount: 1_100,
        maxAmount: 4_000,
        expect: lead(
          [
            ['b', 1_100, false],
            ['b', 3_000, true],
          ],
          'b',
          3_000,
          4_000,
        ),
      },
    ],
  },
  {
    name: 'reserve: the leader raising their maximum past the reserve is lifted to it',
    auction: { reservePrice: 3_000 },
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 2_000,
        expect: lead([['a', 1_000, false]], 'a', 1_000, 2_000),
      },
      {
        bidder: 'a',
        amount: 1_100,
        maxAmount: 3_500,
        expect: lead([['a', 3_000, true]], 'a', 3_000, 3_500, { maxRaised: true }),
      },
    ],
  },
  {
    name: 'reserve: above it, proxy raises answer challengers by the increment',
    auction: { reservePrice: 3_000 },
    steps: [
      {
        bidder: 'a',
        amount: 1_000,
        maxAmount: 5_000,
        expect: lead(
          [
            ['a', 1_000, false],
            ['a', 3_000, true],
          ],
          'a',
          3_000,
          5_000,
        ),
      },
      {
        bidder: 'b',
        amount: 3_100,
        maxAmount: 3_500,
        expect: lead(
          [
            ['b', 3_100, false],
            ['a', 3_600, true],
          ],
          'a',
          3_600,
          5_000,
          { outbid: true },
        ),
      },
      {
        bidder: 'c',
        amount: 3_700,
        maxAmount: 6_000,
        expect: lead(
          [
            ['c', 3_700, false],
            ['c', 5_100, true],
          ],
          'c',
          5_100,
          6_000,
        ),
      },
    ],
  },
];
