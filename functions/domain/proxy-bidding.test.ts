import { describe, expect, it } from 'vitest';
import { PROXY_CASES, PROXY_DEFAULTS, type ProxyCase } from '../../test/support/proxy-cases.js';
import { type ChainBid, checkBidChain, decideProxyBid, type ProxyAuction } from './proxy-bidding.js';

/** Folds a case through the pure rule, returning each step's decision and the recorded chain. */
function run(testCase: ProxyCase) {
  const settings = { ...PROXY_DEFAULTS, ...testCase.auction };
  let auction: ProxyAuction = { ...settings, currentPrice: null, leaderId: null, leaderMax: null };
  const chain: ChainBid[] = [];
  let seq = 1;
  const decisions = testCase.steps.map((step) => {
    const decision = decideProxyBid(auction, {
      bidderId: step.bidder,
      amount: step.amount,
      maxAmount: step.maxAmount ?? null,
    });
    if (decision.kind === 'accepted') {
      if (decision.changes.length === 0) {
        seq++;
        chain.push({
          seq,
          bidderId: decision.leaderId,
          amount: 0,
          proxy: false,
          maxAmount: decision.leaderMax,
          maxRaise: true,
        });
      }
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

describe('proxy bidding rule (pure)', () => {
  it.each(PROXY_CASES)('$name', (testCase) => {
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
    expect(checkBidChain(settings, chain)).toEqual([]);
  });
});

describe('the valid ascending chain', () => {
  const auction = { startingPrice: 1_000, minIncrement: 100, reservePrice: 3_000 };
  const bid = (
    seq: number,
    bidderId: string,
    amount: number,
    proxy = false,
    maxAmount?: number | null,
  ): ChainBid => ({
    seq,
    bidderId,
    amount,
    proxy,
    maxAmount,
  });

  it('accepts v1 chains and proxy raises by the increment, ties at a maximum and the reserve lift', () => {
    expect(checkBidChain(auction, [bid(2, 'a', 1_000), bid(3, 'b', 1_100), bid(4, 'a', 1_250)])).toEqual([]);
    expect(
      checkBidChain(auction, [bid(2, 'a', 1_000, false, 5_000), bid(3, 'a', 3_000, true, 5_000)]),
    ).toEqual([]);
    expect(
      checkBidChain(auction, [
        bid(2, 'a', 1_000, false, 3_500),
        bid(3, 'a', 3_000, true, 3_500),
        bid(4, 'b', 3_100, false, 3_500),
        bid(5, 'a', 3_500, true, 3_500),
      ]),
    ).toEqual([]);
  });

  it('refuses a proxy raise past the maximum, down, unexplained by a competitor, or without a raise', () => {
    const refused = (bids: ChainBid[]) => expect(checkBidChain(auction, bids)).toHaveLength(1);
    refused([bid(2, 'a', 1_000, false, 1_500), bid(3, 'b', 1_100), bid(4, 'a', 1_600, true, 1_500)]);
    refused([bid(2, 'a', 1_000, false, 1_500), bid(3, 'b', 1_300), bid(4, 'a', 1_200, true, 1_500)]);
    refused([
      bid(2, 'a', 1_000, false, 9_000),
      bid(3, 'b', 1_100, false, null),
      bid(4, 'a', 1_400, true, 9_000),
    ]);
    refused([bid(2, 'a', 1_000, false, 9_000), bid(3, 'a', 1_000, true, 9_000)]);
    refused([bid(2, 'a', 1_000), bid(3, 'b', 1_050)]);
    refused([bid(2, 'a', 1_000, true)]);
  });

  it('skips the checks that need a maximum it does not know (public answers)', () => {
    expect(
      checkBidChain(auction, [bid(2, 'a', 1_000), bid(3, 'b', 1_100), bid(4, 'a', 2_900, true)]),
    ).toEqual([]);
  });
});
