/** Auction state as the deciding script keeps it, and the public view derived from it. */

export interface AntiSnipe {
  windowSeconds: number;
  extendSeconds: number;
  maxExtensions: number;
}

/** Times are epoch milliseconds of the Redis server clock; money is integer minor units. */
export interface AuctionState {
  id: string;
  title: string;
  sellerId: string;
  startingPrice: number;
  minIncrement: number;
  reservePrice: number | null;
  startsAt: number;
  endsAt: number;
  antiSnipe: AntiSnipe | null;
  extensions: number;
  currentPrice: number | null;
  leaderId: string | null;
  /**
   * Secret (proxy bidding): the leader's maximum, null when they gave none (then it is the price).
   * Never rendered into a view.
   */
  leaderMax: number | null;
  bidCount: number;
  seq: number;
  createdAt: number;
  /** Set when the sweeper recorded the close; the view is closed from endsAt on regardless. */
  closedAt: number | null;
}

export type AuctionStatus = 'scheduled' | 'open' | 'closed';

export interface AuctionView {
  id: string;
  title: string;
  sellerId: string;
  status: AuctionStatus;
  startingPrice: number;
  minIncrement: number;
  currentPrice: number | null;
  leaderId: string | null;
  bidCount: number;
  minimumNextBid: number;
  startsAt: string;
  endsAt: string;
  extensions: number;
  reserveMet: boolean;
  seq: number;
  winnerId: string | null;
  finalPrice: number | null;
}

export interface Bid {
  id: string;
  auctionId: string;
  bidderId: string;
  amount: number;
  seq: number;
  placedAt: number;
  /** A raise the proxy made for this bidder. */
  proxy?: boolean;
  /** Secret: the bidder's maximum, shown only to that bidder in their own 201. */
  maxAmount?: number;
}

export interface BidView {
  id: string;
  auctionId: string;
  bidderId: string;
  amount: number;
  /** Only in the bidder's own 201 answer. */
  maxAmount?: number;
  seq: number;
  placedAt: string;
  /** Present (true) only on a raise the proxy made. */
  proxy?: true;
}

/** The longest an auction may run, counted from its creation (API.md: at most 30 days away). */
export const MAX_AUCTION_DURATION_MS = 30 * 24 * 60 * 60 * 1000;

export function auctionStatus(state: AuctionState, nowMs: number): AuctionStatus {
  if (state.closedAt !== null || nowMs >= state.endsAt) return 'closed';
  if (nowMs < state.startsAt) return 'scheduled';
  return 'open';
}

export function minimumNextBid(state: AuctionState): number {
  return state.currentPrice === null ? state.startingPrice : state.currentPrice + state.minIncrement;
}

export function isReserveMet(state: AuctionState): boolean {
  if (state.currentPrice === null) return false;
  return state.reservePrice === null || state.currentPrice >= state.reservePrice;
}

/**
 * The public view at a given server time. The reserve price itself never leaves this function;
 * only whether it is met. A closed auction without a met reserve has no winner and no final price.
 */
export function toAuctionView(state: AuctionState, nowMs: number): AuctionView {
  const status = auctionStatus(state, nowMs);
  const reserveMet = isReserveMet(state);
  const closed = status === 'closed';
  return {
    id: state.id,
    title: state.title,
    sellerId: state.sellerId,
    status,
    startingPrice: state.startingPrice,
    minIncrement: state.minIncrement,
    currentPrice: state.currentPrice,
    leaderId: state.leaderId,
    bidCount: state.bidCount,
    minimumNextBid: minimumNextBid(state),
    startsAt: new Date(state.startsAt).toISOString(),
    endsAt: new Date(state.endsAt).toISOString(),
    extensions: state.extensions,
    reserveMet,
    seq: state.seq,
    winnerId: closed && reserveMet ? state.leaderId : null,
    finalPrice: closed && reserveMet ? state.currentPrice : null,
  };
}

/** The public view of a bid: never its maximum. */
export function toBidView(bid: Bid): BidView {
  // Field order is fixed here so that a replayed decision renders byte-for-byte the same body.
  const view: BidView = {
    id: bid.id,
    auctionId: bid.auctionId,
    bidderId: bid.bidderId,
    amount: bid.amount,
    seq: bid.seq,
    placedAt: new Date(bid.placedAt).toISOString(),
  };
  if (bid.proxy === true) view.proxy = true;
  return view;
}

/** The bid as its own bidder sees it in their 201: with their maximum, when they gave one. */
export function toOwnBidView(bid: Bid): BidView {
  if (bid.maxAmount === undefined) return toBidView(bid);
  const view: BidView = {
    id: bid.id,
    auctionId: bid.auctionId,
    bidderId: bid.bidderId,
    amount: bid.amount,
    maxAmount: bid.maxAmount,
    seq: bid.seq,
    placedAt: new Date(bid.placedAt).toISOString(),
  };
  if (bid.proxy === true) view.proxy = true;
  return view;
}
