/** Auction state as the deciding script keeps it, and the public view derived from it. */
import { type IncrementRow, type IncrementTable, incrementAt } from './increments.js';

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
  /** Set when the close was recorded (sweeper, buy-now, seller); the view is closed from endsAt on regardless. */
  closedAt: number | null;
  // Auction house (API.md v1.2). Optional: a state built before them has none of them.
  /** Buy It Now price, null without one. */
  buyNowPrice?: number | null;
  /** Tiered increments; null: the fixed `minIncrement`. With a table, `minIncrement` is the increment in force. */
  incrementTable?: IncrementTable | null;
  /** Closed by the seller's cancel: no winner. */
  cancelled?: boolean;
  /** Who recorded the close; null while open (and on records closed before it existed: the clock). */
  closedBy?: ClosedBy | null;
  /** The seller's reason for a cancel; never rendered into a view. */
  cancelReason?: string | null;
}

export type ClosedBy = 'time' | 'buy_now' | 'seller';

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
  buyNowPrice: number | null;
  buyNowAvailable: boolean;
  incrementTable: IncrementRow[] | null;
  cancelled: boolean;
  closedBy: ClosedBy | null;
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

/**
 * The increment in force: the table's row for the current price (for the starting price before the
 * first bid), or the fixed increment.
 */
export function incrementInForce(state: AuctionState): number {
  return state.incrementTable
    ? incrementAt(state.incrementTable, state.currentPrice ?? state.startingPrice)
    : state.minIncrement;
}

export function minimumNextBid(state: AuctionState): number {
  return state.currentPrice === null ? state.startingPrice : state.currentPrice + incrementInForce(state);
}

export function isReserveMet(state: AuctionState): boolean {
  if (state.currentPrice === null) return false;
  return state.reservePrice === null || state.currentPrice >= state.reservePrice;
}

/**
 * Buy It Now (API.md v1.2): open, with a price, and no bid yet (without a reserve) or the reserve
 * not met yet (with one). The price only rises and a close is final: once false from the opening
 * on, it stays false.
 */
export function isBuyNowAvailable(state: AuctionState, status: AuctionStatus): boolean {
  if (status !== 'open' || state.buyNowPrice == null) return false;
  return state.reservePrice === null ? state.currentPrice === null : !isReserveMet(state);
}

/**
 * The public view at a given server time. The reserve price itself never leaves this function;
 * only whether it is met. A closed auction without a met reserve has no winner and no final price,
 * nor has a cancelled one.
 */
export function toAuctionView(state: AuctionState, nowMs: number): AuctionView {
  const status = auctionStatus(state, nowMs);
  const reserveMet = isReserveMet(state);
  const closed = status === 'closed';
  const won = closed && reserveMet && state.cancelled !== true;
  return {
    id: state.id,
    title: state.title,
    sellerId: state.sellerId,
    status,
    startingPrice: state.startingPrice,
    minIncrement: incrementInForce(state),
    currentPrice: state.currentPrice,
    leaderId: state.leaderId,
    bidCount: state.bidCount,
    minimumNextBid: minimumNextBid(state),
    startsAt: new Date(state.startsAt).toISOString(),
    endsAt: new Date(state.endsAt).toISOString(),
    extensions: state.extensions,
    reserveMet,
    seq: state.seq,
    winnerId: won ? state.leaderId : null,
    finalPrice: won ? state.currentPrice : null,
    buyNowPrice: state.buyNowPrice ?? null,
    buyNowAvailable: isBuyNowAvailable(state, status),
    incrementTable: state.incrementTable ? state.incrementTable.map((row) => ({ ...row })) : null,
    cancelled: state.cancelled === true,
    closedBy: closed ? (state.closedBy ?? 'time') : null,
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
