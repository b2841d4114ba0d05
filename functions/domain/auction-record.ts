import type { AuctionState, Bid, ClosedBy } from './auction.js';
import { parseIncrementTable } from './increments.js';

const CLOSED_BY: readonly string[] = ['time', 'buy_now', 'seller'] satisfies ClosedBy[];

/**
 * The auction hash stores every field as a string: numbers as decimal integers, absent values as ''.
 * This is the one place that knows that format (the event payloads carry the same record).
 */
export function parseAuctionRecord(record: Record<string, string>): AuctionState {
  const text = (field: string): string => {
    const value = record[field];
    if (value === undefined) throw new Error(`auction record without ${field}`);
    return value;
  };
  const integer = (field: string): number => Number(text(field));
  const optionalInteger = (field: string): number | null => {
    const value = record[field];
    return value === undefined || value === '' ? null : Number(value);
  };
  const optionalText = (field: string): string | null => {
    const value = record[field];
    return value === undefined || value === '' ? null : value;
  };
  const antiWindow = optionalInteger('antiWindow');
  return {
    id: text('id'),
    title: text('title'),
    sellerId: text('sellerId'),
    startingPrice: integer('startingPrice'),
    minIncrement: integer('minIncrement'),
    reservePrice: optionalInteger('reservePrice'),
    startsAt: integer('startsAt'),
    endsAt: integer('endsAt'),
    antiSnipe:
      antiWindow === null
        ? null
        : {
            windowSeconds: antiWindow,
            extendSeconds: integer('antiExtend'),
            maxExtensions: integer('antiMax'),
          },
    extensions: integer('extensions'),
    currentPrice: optionalInteger('currentPrice'),
    leaderId: optionalText('leaderId'),
    leaderMax: optionalInteger('leaderMax'),
    bidCount: integer('bidCount'),
    seq: integer('seq'),
    createdAt: integer('createdAt'),
    closedAt: optionalInteger('closedAt'),
    buyNowPrice: optionalInteger('buyNowPrice'),
    incrementTable: parseIncrementTable(record.incrementTable),
    cancelled: record.cancelled === '1',
    closedBy: closedByOf(optionalText('closedBy')),
    cancelReason: optionalText('cancelReason'),
  };
}

function closedByOf(value: string | null): ClosedBy | null {
  if (value === null) return null;
  if (!CLOSED_BY.includes(value)) throw new Error(`auction record with closedBy ${value}`);
  return value as ClosedBy;
}

export interface BidRecord {
  id: string;
  auctionId: string;
  bidderId: string;
  amount: string;
  seq: number;
  placedAt: number;
  /** Only on a raise the proxy made. */
  proxy?: boolean;
  /** Secret: only in event payloads for PostgreSQL and in the bidder's own reply, never in the list. */
  maxAmount?: string;
}

export function parseBidRecord(record: BidRecord): Bid {
  const bid: Bid = {
    id: record.id,
    auctionId: record.auctionId,
    bidderId: record.bidderId,
    amount: Number(record.amount),
    seq: record.seq,
    placedAt: record.placedAt,
  };
  if (record.proxy === true) bid.proxy = true;
  if (record.maxAmount !== undefined) bid.maxAmount = Number(record.maxAmount);
  return bid;
}

/** The bid record an event payload carries (as the deciding script wrote it). */
export function parseEventBid(record: Record<string, string | number | boolean>): Bid {
  const bid: Bid = {
    id: String(record.id),
    auctionId: String(record.auctionId),
    bidderId: String(record.bidderId),
    amount: Number(record.amount),
    seq: Number(record.seq),
    placedAt: Number(record.placedAt),
  };
  if (record.proxy === true) bid.proxy = true;
  return bid;
}
