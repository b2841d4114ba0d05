/**
 * Proxy bidding (API.md v1.1, "Proxy bidding (maxAmount)"): the rule as a pure function. The
 * place-bid Lua script decides with the same rule inside its one atomic step; test/proxy-bidding
 * runs one table of cases against both, so the two cannot drift apart.
 *
 * A request from someone other than the leader is first recorded as the bid it is (amount N, as in
 * v1: that bidder leads at N for one seq); then, when the rule says so, the auction's proxy makes
 * one raise, a bid with `proxy: true` for whoever leads by the rule, at the price the rule gives.
 * So a request makes at most two price changes, each its own event.
 */

import { type IncrementTable, incrementAt } from './increments.js';

export interface ProxyAuction {
  startingPrice: number;
  /** The fixed increment; with an increment table, the table decides (API.md v1.2). */
  minIncrement: number;
  /** Tiered increments (API.md v1.2): the increment in force at a price is the table's. */
  incrementTable?: IncrementTable | null;
  reservePrice: number | null;
  currentPrice: number | null;
  leaderId: string | null;
  /** The leader's secret maximum; null when they gave none (then it is their amount, the price). */
  leaderMax: number | null;
}

export interface ProxyBidRequest {
  bidderId: string;
  amount: number;
  /** null: a v1 bid (its maximum is its amount). */
  maxAmount: number | null;
}

/** One recorded bid: the request's own, or a raise the proxy made. */
export interface PriceChange {
  bidderId: string;
  amount: number;
  proxy: boolean;
  /** The maximum in force for this bidder at this bid (secret), null when they gave none. */
  maxAmount: number | null;
}

export type ProxyDecision =
  | { kind: 'bid_too_low'; minimumBid: number }
  | { kind: 'already_leading' }
  | {
      kind: 'accepted';
      /** In order; empty for a leader's raise of their maximum that moves no price. */
      changes: PriceChange[];
      leaderId: string;
      price: number;
      leaderMax: number | null;
      /** The request's bidder does not lead after it (their maximum was not above the leader's). */
      outbid: boolean;
      /** The leader raised their own maximum. */
      maxRaised: boolean;
    };

type Increments = Pick<ProxyAuction, 'minIncrement' | 'incrementTable'>;

/** The increment in force at `price`: the table's row, or the fixed increment without a table. */
export function incrementOf(auction: Increments, price: number): number {
  return auction.incrementTable ? incrementAt(auction.incrementTable, price) : auction.minIncrement;
}

export function minimumBidOf(
  auction: Pick<ProxyAuction, 'currentPrice' | 'startingPrice' | 'minIncrement' | 'incrementTable'>,
) {
  return auction.currentPrice === null
    ? auction.startingPrice
    : auction.currentPrice + incrementOf(auction, auction.currentPrice);
}

/**
 * The reserve lift: a leader whose maximum reaches the reserve is raised to it (never past their
 * maximum, never down).
 */
function lifted(price: number, leaderMax: number, reservePrice: number | null): number {
  if (reservePrice === null || leaderMax < reservePrice || price >= reservePrice) return price;
  return Math.min(leaderMax, reservePrice);
}

/** The rule for one request on an open auction (the seller, schedule and rate checks come first). */
export function decideProxyBid(auction: ProxyAuction, request: ProxyBidRequest): ProxyDecision {
  const { reservePrice } = auction;
  if (auction.leaderId !== null && request.bidderId === auction.leaderId) {
    const current = auction.leaderMax ?? (auction.currentPrice as number);
    if (request.maxAmount === null || request.maxAmount <= current) return { kind: 'already_leading' };
    const price = auction.currentPrice as number;
    const raisedTo = lifted(price, request.maxAmount, reservePrice);
    return {
      kind: 'accepted',
      changes:
        raisedTo === price
          ? []
          : [{ bidderId: request.bidderId, amount: raisedTo, proxy: true, maxAmount: request.maxAmount }],
      leaderId: request.bidderId,
      price: raisedTo,
      leaderMax: request.maxAmount,
      outbid: false,
      maxRaised: true,
    };
  }
  const minimumBid = minimumBidOf(auction);
  if (request.amount < minimumBid) return { kind: 'bid_too_low', minimumBid };

  const own: PriceChange = {
    bidderId: request.bidderId,
    amount: request.amount,
    proxy: false,
    maxAmount: request.maxAmount,
  };
  const challenge = request.maxAmount ?? request.amount;
  let leaderId = request.bidderId;
  let leaderMax = request.maxAmount;
  let price = request.amount;
  if (auction.leaderId !== null) {
    const defended = auction.leaderMax ?? (auction.currentPrice as number);
    if (challenge > defended) {
      // One increment of the tier of the maximum that was beaten.
      price = Math.max(request.amount, Math.min(challenge, defended + incrementOf(auction, defended)));
    } else {
      // Equal maxima go to the earlier bidder: the leader.
      leaderId = auction.leaderId;
      leaderMax = auction.leaderMax;
      price = Math.min(defended, challenge + incrementOf(auction, challenge));
    }
  }
  price = lifted(price, leaderMax ?? price, reservePrice);
  const changes = [own];
  if (leaderId !== request.bidderId || price !== request.amount) {
    changes.push({ bidderId: leaderId, amount: price, proxy: true, maxAmount: leaderMax });
  }
  return {
    kind: 'accepted',
    changes,
    leaderId,
    price,
    leaderMax,
    outbid: leaderId !== request.bidderId,
    maxRaised: false,
  };
}

/** A recorded bid as the chain check reads it (GET /auctions/{id}/bids or the bids table). */
export interface ChainBid {
  seq: number;
  bidderId: string;
  amount: number;
  proxy: boolean;
  /**
   * The bidder's maximum in force at this bid: a number, null when they gave none (their amount is
   * their maximum), undefined when unknown (public answers never show it).
   */
  maxAmount?: number | null;
  /** The bidder raised their maximum here without a price change: not a bid, only a new maximum. */
  maxRaise?: boolean;
}

/**
 * The "valid ascending chain" of an auction's bids in seq order: a bid of its own is at least the
 * starting price, later ones at least the previous amount + minIncrement (v1); a proxy raise is at
 * least the previous amount (equal when the challenger reached the leader's maximum), strictly more
 * when it raises the bidder who already led, never above the raised bidder's maximum, and explained
 * by the rule: at most one increment above the maximum of the competitor it answers (the bidder of
 * the nearest earlier bid by someone else), or exactly the reserve. Checks that need an unknown
 * maximum are skipped. With an increment table, each increment is the one in force at the price it
 * is added to. Returns the problems found, none for a valid chain.
 */
export function checkBidChain(
  auction: Pick<ProxyAuction, 'startingPrice' | 'minIncrement' | 'reservePrice' | 'incrementTable'>,
  bids: readonly ChainBid[],
): string[] {
  const problems: string[] = [];
  /** Known maxima in force, per bidder. */
  const maxima = new Map<string, number>();
  let previous: ChainBid | undefined;
  /** The bidder of the nearest earlier bid by someone other than `previous`'s bidder. */
  let otherThanPrevious: string | undefined;
  for (const bid of bids) {
    if (bid.maxRaise) {
      if (typeof bid.maxAmount === 'number') maxima.set(bid.bidderId, bid.maxAmount);
      continue;
    }
    const at = `seq ${bid.seq}`;
    if (!bid.proxy) {
      const minimum =
        previous === undefined
          ? auction.startingPrice
          : previous.amount + incrementOf(auction, previous.amount);
      if (bid.amount < minimum) problems.push(`${at}: ${bid.amount} < minimum ${minimum}`);
    } else if (previous === undefined) {
      problems.push(`${at}: a proxy raise without a bid before it`);
    } else {
      if (bid.amount < previous.amount)
        problems.push(`${at}: proxy raise ${bid.amount} below the previous bid ${previous.amount}`);
      if (previous.bidderId === bid.bidderId && bid.amount <= previous.amount)
        problems.push(`${at}: proxy raise of the leader to ${bid.amount} does not raise`);
      const ownMax = typeof bid.maxAmount === 'number' ? bid.maxAmount : maxima.get(bid.bidderId);
      if (ownMax !== undefined && bid.amount > ownMax)
        problems.push(`${at}: proxy raise ${bid.amount} above the bidder's maximum ${ownMax}`);
      const competitor = previous.bidderId === bid.bidderId ? otherThanPrevious : previous.bidderId;
      const competitorMax = competitor === undefined ? undefined : maxima.get(competitor);
      const byReserve = auction.reservePrice !== null && bid.amount === auction.reservePrice;
      if (
        competitorMax !== undefined &&
        !byReserve &&
        bid.amount > competitorMax + incrementOf(auction, competitorMax)
      )
        problems.push(
          `${at}: proxy raise ${bid.amount} more than one increment above the competitor's maximum ${competitorMax}`,
        );
    }
    if (bid.maxAmount === null) maxima.set(bid.bidderId, bid.amount);
    else if (typeof bid.maxAmount === 'number') maxima.set(bid.bidderId, bid.maxAmount);
    else maxima.delete(bid.bidderId);
    if (previous !== undefined && previous.bidderId !== bid.bidderId) otherThanPrevious = previous.bidderId;
    previous = bid;
  }
  return problems;
}
