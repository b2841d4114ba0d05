import { describe, expect, it } from 'vitest';
import { type AuctionState, isBuyNowAvailable, minimumNextBid, toAuctionView } from './auction.js';
import { parseAuctionRecord } from './auction-record.js';
import { formatIncrementTable } from './increments.js';

const base: AuctionState = {
  id: 'a1',
  title: 'Lot',
  sellerId: 's',
  startingPrice: 1_000,
  minIncrement: 50,
  reservePrice: null,
  startsAt: 1_000,
  endsAt: 2_000,
  antiSnipe: null,
  extensions: 0,
  currentPrice: null,
  leaderId: null,
  leaderMax: null,
  bidCount: 0,
  seq: 1,
  createdAt: 900,
  closedAt: null,
};
const tiers = [
  { from: 0, increment: 10 },
  { from: 1_000, increment: 50 },
  { from: 5_000, increment: 200 },
];

describe('Buy It Now availability (API.md v1.2)', () => {
  const buyable = { ...base, buyNowPrice: 9_000 };
  it('open, with a price, no bid yet: available', () => {
    expect(toAuctionView(buyable, 1_500)).toMatchObject({ buyNowPrice: 9_000, buyNowAvailable: true });
  });
  it('without a price, scheduled, or closed: not available', () => {
    expect(toAuctionView(base, 1_500)).toMatchObject({ buyNowPrice: null, buyNowAvailable: false });
    expect(toAuctionView(buyable, 999).buyNowAvailable).toBe(false);
    expect(toAuctionView(buyable, 2_000).buyNowAvailable).toBe(false);
    expect(toAuctionView({ ...buyable, closedAt: 1_200, closedBy: 'seller' }, 1_500).buyNowAvailable).toBe(
      false,
    );
  });
  it('without a reserve: gone with the first bid', () => {
    expect(isBuyNowAvailable({ ...buyable, currentPrice: 1_000, bidCount: 1 }, 'open')).toBe(false);
  });
  it('with a reserve: available until the reserve is met, then never again', () => {
    const reserved = { ...buyable, reservePrice: 3_000 };
    expect(isBuyNowAvailable({ ...reserved, currentPrice: 2_900, bidCount: 3 }, 'open')).toBe(true);
    expect(isBuyNowAvailable({ ...reserved, currentPrice: 3_000, bidCount: 4 }, 'open')).toBe(false);
    expect(isBuyNowAvailable({ ...reserved, currentPrice: 8_000, bidCount: 9 }, 'open')).toBe(false);
  });
});

describe('the increment in force', () => {
  const tiered = { ...base, startingPrice: 500, minIncrement: 10, incrementTable: tiers };
  it('before the first bid: the row of the starting price', () => {
    expect(toAuctionView(tiered, 1_500)).toMatchObject({
      minIncrement: 10,
      minimumNextBid: 500,
      incrementTable: tiers,
    });
    expect(toAuctionView({ ...tiered, startingPrice: 1_000 }, 1_500).minIncrement).toBe(50);
  });
  it('after a bid: the row of the current price', () => {
    expect(toAuctionView({ ...tiered, currentPrice: 999 }, 1_500)).toMatchObject({
      minIncrement: 10,
      minimumNextBid: 1_009,
    });
    expect(toAuctionView({ ...tiered, currentPrice: 1_000 }, 1_500)).toMatchObject({
      minIncrement: 50,
      minimumNextBid: 1_050,
    });
    expect(minimumNextBid({ ...tiered, currentPrice: 7_000 })).toBe(7_200);
  });
  it('without a table: the fixed increment, incrementTable null', () => {
    expect(toAuctionView({ ...base, currentPrice: 7_000 }, 1_500)).toMatchObject({
      minIncrement: 50,
      minimumNextBid: 7_050,
      incrementTable: null,
    });
  });
});

describe('how an auction closed', () => {
  const led = { ...base, currentPrice: 1_500, leaderId: 'bob', bidCount: 2 };
  it('open: closedBy null, not cancelled', () => {
    expect(toAuctionView(led, 1_500)).toMatchObject({ closedBy: null, cancelled: false });
  });
  it('closed by the clock, even before the close is recorded (or recorded before closedBy existed)', () => {
    expect(toAuctionView(led, 2_000)).toMatchObject({ status: 'closed', closedBy: 'time', winnerId: 'bob' });
    expect(toAuctionView({ ...led, closedAt: 2_001 }, 2_500).closedBy).toBe('time');
  });
  it('ended by the seller: the winner as at endsAt', () => {
    expect(
      toAuctionView({ ...led, closedAt: 1_400, endsAt: 1_400, closedBy: 'seller' }, 1_450),
    ).toMatchObject({
      status: 'closed',
      closedBy: 'seller',
      winnerId: 'bob',
      finalPrice: 1_500,
    });
  });
  it('cancelled: no winner, no final price', () => {
    const cancelled = {
      ...led,
      closedAt: 1_400,
      endsAt: 1_400,
      closedBy: 'seller' as const,
      cancelled: true,
    };
    expect(toAuctionView(cancelled, 1_450)).toMatchObject({
      status: 'closed',
      cancelled: true,
      winnerId: null,
      finalPrice: null,
      leaderId: 'bob',
    });
  });
  it('the view never shows the reason of a cancel', () => {
    const view = toAuctionView(
      { ...led, closedAt: 1_400, cancelled: true, cancelReason: 'secret-ish' },
      1_450,
    );
    expect(JSON.stringify(view)).not.toContain('secret-ish');
  });
});

describe('the record form', () => {
  const record = {
    id: 'a1',
    title: 'Lot',
    sellerId: 's',
    startingPrice: '500',
    minIncrement: '10',
    reservePrice: '',
    startsAt: '1000',
    endsAt: '2000',
    antiWindow: '',
    extensions: '0',
    currentPrice: '',
    leaderId: '',
    bidCount: '0',
    seq: '1',
    createdAt: '900',
    closedAt: '',
  };
  it('a record from before the auction house reads with none of it', () => {
    expect(parseAuctionRecord(record)).toMatchObject({
      buyNowPrice: null,
      incrementTable: null,
      cancelled: false,
      closedBy: null,
      cancelReason: null,
    });
  });
  it('reads the new fields', () => {
    expect(
      parseAuctionRecord({
        ...record,
        buyNowPrice: '9000',
        incrementTable: formatIncrementTable(tiers),
        cancelled: '1',
        closedBy: 'seller',
        cancelReason: 'Damaged',
      }),
    ).toMatchObject({
      buyNowPrice: 9_000,
      incrementTable: tiers,
      cancelled: true,
      closedBy: 'seller',
      cancelReason: 'Damaged',
    });
    expect(() => parseAuctionRecord({ ...record, closedBy: 'nobody' })).toThrow(/closedBy/);
  });
});
