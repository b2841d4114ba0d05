import { describe, expect, it } from 'vitest';
import { TIER_CASES, TIER_DEFAULTS, TIERS, type TierCase } from '../../test/support/tier-cases.js';
import {
  EBAY_INCREMENT_TABLE,
  formatIncrementTable,
  incrementAt,
  incrementTableProblem,
  largestIncrement,
  MAX_INCREMENT_ROWS,
  parseIncrementTable,
} from './increments.js';
import { type ChainBid, checkBidChain, decideProxyBid, type ProxyAuction } from './proxy-bidding.js';

describe('the increment in force', () => {
  it.each([
    [0, 10],
    [1, 10],
    [999, 10],
    [1_000, 50],
    [4_999, 50],
    [5_000, 200],
    [19_999, 200],
    [20_000, 1_000],
    [Number.MAX_SAFE_INTEGER, 1_000],
  ])('at %i: %i', (price, increment) => {
    expect(incrementAt(TIERS, price)).toBe(increment);
  });

  it("eBay's table in cents: 0.05 under 1.00 ... 100.00 from 5,000.00", () => {
    expect(incrementAt(EBAY_INCREMENT_TABLE, 99)).toBe(5);
    expect(incrementAt(EBAY_INCREMENT_TABLE, 100)).toBe(25);
    expect(incrementAt(EBAY_INCREMENT_TABLE, 2_499)).toBe(50);
    expect(incrementAt(EBAY_INCREMENT_TABLE, 24_999)).toBe(250);
    expect(incrementAt(EBAY_INCREMENT_TABLE, 499_999)).toBe(5_000);
    expect(incrementAt(EBAY_INCREMENT_TABLE, 500_000)).toBe(10_000);
    expect(incrementTableProblem(EBAY_INCREMENT_TABLE)).toBeNull();
  });

  it('a one-row table is a fixed increment', () => {
    expect(incrementAt([{ from: 0, increment: 7 }], 123_456)).toBe(7);
  });

  it('the largest increment bounds the amounts, whatever its row', () => {
    expect(largestIncrement(TIERS)).toBe(1_000);
    expect(
      largestIncrement([
        { from: 0, increment: 30 },
        { from: 100, increment: 5 },
      ]),
    ).toBe(30);
  });

  it("the record's text form round-trips", () => {
    expect(formatIncrementTable(TIERS)).toBe('0:10,1000:50,5000:200,20000:1000');
    expect(parseIncrementTable(formatIncrementTable(EBAY_INCREMENT_TABLE))).toEqual(EBAY_INCREMENT_TABLE);
    expect(parseIncrementTable('')).toBeNull();
    expect(parseIncrementTable(undefined)).toBeNull();
  });
});

describe('a table is validated', () => {
  const rows = (...pairs: [unknown, unknown][]) => pairs.map(([from, increment]) => ({ from, increment }));
  it.each([
    ['no rows', [], 'incrementTable: needs at least one row'],
    ['the first from not 0', rows([1, 5]), 'incrementTable.0.from: the first row must start at 0'],
    [
      'from not ascending',
      rows([0, 5], [100, 10], [100, 20]),
      "incrementTable.2.from: must be above the previous row's from (100)",
    ],
    [
      'from descending',
      rows([0, 5], [100, 10], [50, 20]),
      "incrementTable.2.from: must be above the previous row's from (100)",
    ],
    ['an increment of 0', rows([0, 0]), 'incrementTable.0.increment: must be a safe integer > 0'],
    [
      'a negative increment',
      rows([0, 5], [10, -1]),
      'incrementTable.1.increment: must be a safe integer > 0',
    ],
    ['a fractional increment', rows([0, 0.5]), 'incrementTable.0.increment: must be a safe integer > 0'],
    ['a fractional from', rows([0, 5], [10.5, 6]), 'incrementTable.1.from: must be a safe integer'],
    ['an unsafe from', rows([0, 5], [2 ** 53, 6]), 'incrementTable.1.from: must be a safe integer'],
    ['an unsafe increment', rows([0, 2 ** 53]), 'incrementTable.0.increment: must be a safe integer > 0'],
    ['a string', rows([0, '5']), 'incrementTable.0.increment: must be a safe integer > 0'],
    [
      'too many rows',
      Array.from({ length: MAX_INCREMENT_ROWS + 1 }, (_, index) => ({ from: index, increment: 1 })),
      `incrementTable: at most ${MAX_INCREMENT_ROWS} rows`,
    ],
  ])('%s', (_name, table, problem) => {
    expect(incrementTableProblem(table)).toBe(problem);
  });

  it('a valid table has no problem', () => {
    expect(incrementTableProblem(TIERS)).toBeNull();
    expect(
      incrementTableProblem(
        Array.from({ length: MAX_INCREMENT_ROWS }, (_, index) => ({ from: index, increment: 1 })),
      ),
    ).toBeNull();
  });
});

/** Folds a case through the pure rule, returning each step's decision and the recorded chain. */
function run(testCase: TierCase) {
  const settings = { ...TIER_DEFAULTS, ...testCase.auction };
  let auction: ProxyAuction = {
    ...settings,
    minIncrement: incrementAt(settings.incrementTable, settings.startingPrice),
    currentPrice: null,
    leaderId: null,
    leaderMax: null,
  };
  const chain: ChainBid[] = [];
  let seq = 1;
  const decisions = testCase.steps.map((step) => {
    const decision = decideProxyBid(auction, {
      bidderId: step.bidder,
      amount: step.amount,
      maxAmount: step.maxAmount ?? null,
    });
    if (decision.kind === 'accepted') {
      for (const change of decision.changes) chain.push({ seq: ++seq, ...change });
      auction = {
        ...auction,
        currentPrice: decision.price,
        leaderId: decision.leaderId,
        leaderMax: decision.leaderMax,
      };
    }
    return decision;
  });
  return { settings, decisions, chain };
}

describe('proxy bidding on a table (pure rule)', () => {
  it.each(TIER_CASES)('$name', (testCase) => {
    const { settings, decisions, chain } = run(testCase);
    testCase.steps.forEach((step, index) => {
      const decision = decisions[index];
      const expected = step.expect;
      if ('refused' in expected) {
        expect(decision).toEqual(
          expected.refused === 'bid_too_low'
            ? { kind: 'bid_too_low', minimumBid: expected.minimumBid }
            : { kind: 'already_leading' },
        );
        return;
      }
      expect(decision).toMatchObject({
        kind: 'accepted',
        leaderId: expected.leader,
        price: expected.price,
        leaderMax: expected.leaderMax,
        outbid: expected.outbid ?? false,
        maxRaised: expected.maxRaised ?? false,
      });
      if (decision?.kind !== 'accepted') return;
      expect(decision.changes.map((change) => [change.bidderId, change.amount, change.proxy])).toEqual(
        expected.changes,
      );
    });
    expect(checkBidChain({ ...settings, minIncrement: 0 }, chain)).toEqual([]);
  });

  it('the chain check measures each step with the tier of its price', () => {
    const auction = { startingPrice: 500, minIncrement: 10, reservePrice: null, incrementTable: TIERS };
    const bid = (seq: number, bidderId: string, amount: number): ChainBid => ({
      seq,
      bidderId,
      amount,
      proxy: false,
      maxAmount: null,
    });
    expect(checkBidChain(auction, [bid(2, 'a', 1_000), bid(3, 'b', 1_050)])).toEqual([]);
    expect(checkBidChain(auction, [bid(2, 'a', 1_000), bid(3, 'b', 1_010)])).toEqual([
      'seq 3: 1010 < minimum 1050',
    ]);
  });
});
