/**
 * The table of tiered-increment cases (API.md v1.2, "Auction house"): proxy bidding on an auction
 * with an increment table instead of one `minIncrement`. The same table runs against the pure rule
 * (functions/domain/increments.test.ts) and against the place-bid script on a single Redis and on the
 * 3-node Cluster (test/house-tiers-script.test.ts). Every case starts on a fresh auction (starting
 * price 500, the table TIERS, no reserve unless given); each step is one request and what it must do.
 * Every price below is worked out by hand from API.md: the next minimum is P + increment(P); a
 * challenger above the leader's maximum ML leads at max(N, min(C, ML + increment(ML))); else the
 * leader stays at min(ML, C + increment(C)).
 */
import { EBAY_INCREMENT_TABLE, type IncrementTable } from '../../functions/domain/increments.js';
import type { ExpectedChange, ExpectedStep, ProxyStep } from './proxy-cases.js';

/** 10 below 1,000; 50 below 5,000; 200 below 20,000; 1,000 from 20,000. */
export const TIERS: IncrementTable = [
  { from: 0, increment: 10 },
  { from: 1_000, increment: 50 },
  { from: 5_000, increment: 200 },
  { from: 20_000, increment: 1_000 },
];

export interface TierCase {
  name: string;
  auction?: { startingPrice?: number; reservePrice?: number | null; incrementTable?: IncrementTable };
  steps: ProxyStep[];
}

export const TIER_DEFAULTS = {
  startingPrice: 500,
  reservePrice: null as number | null,
  incrementTable: TIERS,
};

const lead = (
  changes: ExpectedChange[],
  leader: string,
  price: number,
  leaderMax: number | null,
  extra: { outbid?: boolean; maxRaised?: boolean } = {},
): ExpectedStep => ({ changes, leader, price, leaderMax, ...extra });
const tooLow = (minimumBid: number): ExpectedStep => ({ refused: 'bid_too_low', minimumBid });

export const TIER_CASES: TierCase[] = [
  {
    name: 'the next minimum follows the tier of the price, on both sides of a boundary',
    steps: [
      { bidder: 'a', amount: 500, expect: lead([['a', 500, false]], 'a', 500, null) },
      { bidder: 'b', amount: 505, expect: tooLow(510) },
      { bidder: 'b', amount: 990, expect: lead([['b', 990, false]], 'b', 990, null) },
      { bidder: 'a', amount: 999, expect: tooLow(1_000) },
      { bidder: 'a', amount: 1_000, expect: lead([['a', 1_000, false]], 'a', 1_000, null) },
      { bidder: 'b', amount: 1_040, expect: tooLow(1_050) },
      { bidder: 'b', amount: 4_990, expect: lead([['b', 4_990, false]], 'b', 4_990, null) },
      { bidder: 'a', amount: 5_030, expect: tooLow(5_040) },
      { bidder: 'a', amount: 5_040, expect: lead([['a', 5_040, false]], 'a', 5_040, null) },
      { bidder: 'b', amount: 5_200, expect: tooLow(5_240) },
    ],
  },
  {
    name: 'proxy maxima crossing three tiers: each raise one increment of the tier of the maximum it answers',
    steps: [
      { bidder: 'a', amount: 500, maxAmount: 30_000, expect: lead([['a', 500, false]], 'a', 500, 30_000) },
      {
        bidder: 'b',
        amount: 600,
        maxAmount: 900,
        expect: lead(
          [
            ['b', 600, false],
            ['a', 910, true],
          ],
          'a',
          910,
          30_000,
          { outbid: true },
        ),
      },
      { bidder: 'c', amount: 919, maxAmount: 4_000, expect: tooLow(920) },
      {
        bidder: 'c',
        amount: 920,
        maxAmount: 4_000,
        expect: lead(
          [
            ['c', 920, false],
            ['a', 4_050, true],
          ],
          'a',
          4_050,
          30_000,
          { outbid: true },
        ),
      },
      { bidder: 'd', amount: 4_090, maxAmount: 19_990, expect: tooLow(4_100) },
      {
        bidder: 'd',
        amount: 4_100,
        maxAmount: 19_990,
        expect: lead(
          [
            ['d', 4_100, false],
            ['a', 20_190, true],
          ],
          'a',
          20_190,
          30_000,
          { outbid: true },
        ),
      },
      { bidder: 'e', amount: 20_390, maxAmount: 50_000, expect: tooLow(21_190) },
      {
        bidder: 'e',
        amount: 21_190,
        maxAmount: 50_000,
        expect: lead(
          [
            ['e', 21_190, false],
            ['e', 31_000, true],
          ],
          'e',
          31_000,
          50_000,
        ),
      },
      { bidder: 'a', amount: 31_500, expect: tooLow(32_000) },
      {
        bidder: 'a',
        amount: 32_000,
        expect: lead(
          [
            ['a', 32_000, false],
            ['e', 33_000, true],
          ],
          'e',
          33_000,
          50_000,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'a challenger maximum in a lower tier than the leader maximum: the increment of the challenger maximum',
    steps: [
      { bidder: 'a', amount: 500, maxAmount: 5_000, expect: lead([['a', 500, false]], 'a', 500, 5_000) },
      {
        bidder: 'b',
        amount: 510,
        maxAmount: 999,
        expect: lead(
          [
            ['b', 510, false],
            ['a', 1_009, true],
          ],
          'a',
          1_009,
          5_000,
          { outbid: true },
        ),
      },
      {
        bidder: 'b',
        amount: 1_059,
        expect: lead(
          [
            ['b', 1_059, false],
            ['a', 1_109, true],
          ],
          'a',
          1_109,
          5_000,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: 'a challenger above the leader maximum: one increment of the tier of the beaten maximum',
    steps: [
      { bidder: 'a', amount: 500, maxAmount: 995, expect: lead([['a', 500, false]], 'a', 500, 995) },
      {
        bidder: 'b',
        amount: 510,
        maxAmount: 3_000,
        expect: lead(
          [
            ['b', 510, false],
            ['b', 1_005, true],
          ],
          'b',
          1_005,
          3_000,
        ),
      },
      { bidder: 'c', amount: 1_050, expect: tooLow(1_055) },
    ],
  },
  {
    name: 'a beaten maximum exactly at a tier start: that tier',
    steps: [
      { bidder: 'a', amount: 500, maxAmount: 1_000, expect: lead([['a', 500, false]], 'a', 500, 1_000) },
      {
        bidder: 'b',
        amount: 510,
        maxAmount: 2_000,
        expect: lead(
          [
            ['b', 510, false],
            ['b', 1_050, true],
          ],
          'b',
          1_050,
          2_000,
        ),
      },
    ],
  },
  {
    name: 'a challenger one step short of a beaten maximum + increment leads at their maximum',
    steps: [
      { bidder: 'a', amount: 500, maxAmount: 1_020, expect: lead([['a', 500, false]], 'a', 500, 1_020) },
      {
        bidder: 'b',
        amount: 600,
        maxAmount: 1_030,
        expect: lead(
          [
            ['b', 600, false],
            ['b', 1_030, true],
          ],
          'b',
          1_030,
          1_030,
        ),
      },
    ],
  },
  {
    name: 'equal maxima stay with the earlier bidder, at that maximum (not past it)',
    steps: [
      { bidder: 'a', amount: 500, maxAmount: 5_000, expect: lead([['a', 500, false]], 'a', 500, 5_000) },
      {
        bidder: 'b',
        amount: 510,
        maxAmount: 5_000,
        expect: lead(
          [
            ['b', 510, false],
            ['a', 5_000, true],
          ],
          'a',
          5_000,
          5_000,
          { outbid: true },
        ),
      },
      { bidder: 'b', amount: 5_100, expect: tooLow(5_200) },
    ],
  },
  {
    name: 'reserve: the lift to the reserve, then the tier of the reserve',
    auction: { reservePrice: 4_000 },
    steps: [
      {
        bidder: 'a',
        amount: 500,
        maxAmount: 4_500,
        expect: lead(
          [
            ['a', 500, false],
            ['a', 4_000, true],
          ],
          'a',
          4_000,
          4_500,
        ),
      },
      { bidder: 'b', amount: 4_040, expect: tooLow(4_050) },
      {
        bidder: 'b',
        amount: 4_050,
        expect: lead(
          [
            ['b', 4_050, false],
            ['a', 4_100, true],
          ],
          'a',
          4_100,
          4_500,
          { outbid: true },
        ),
      },
    ],
  },
  {
    name: "eBay's table: a 12.00 maximum against a 5.00 bid",
    auction: { startingPrice: 99, incrementTable: EBAY_INCREMENT_TABLE },
    steps: [
      { bidder: 'a', amount: 99, maxAmount: 1_200, expect: lead([['a', 99, false]], 'a', 99, 1_200) },
      { bidder: 'b', amount: 103, expect: tooLow(104) },
      {
        bidder: 'b',
        amount: 500,
        expect: lead(
          [
            ['b', 500, false],
            ['a', 550, true],
          ],
          'a',
          550,
          1_200,
          { outbid: true },
        ),
      },
    ],
  },
];
