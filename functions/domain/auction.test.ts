import { describe, expect, it } from 'vitest';
import { type AuctionState, auctionStatus, isReserveMet, minimumNextBid, toAuctionView } from './auction.js';

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

describe('auction status follows the server clock', () => {
  it('is scheduled before startsAt, open until endsAt, closed from endsAt on', () => {
    expect(auctionStatus(base, 999)).toBe('scheduled');
    expect(auctionStatus(base, 1_000)).toBe('open');
    expect(auctionStatus(base, 1_999)).toBe('open');
    expect(auctionStatus(base, 2_000)).toBe('closed');
  });

  it('is closed once the sweeper recorded the close, whatever the clock says', () => {
    expect(auctionStatus({ ...base, closedAt: 1_500 }, 1_500)).toBe('closed');
  });
});

describe('minimum next bid', () => {
  it('is the starting price before the first bid, then current + increment', () => {
    expect(minimumNextBid(base)).toBe(1_000);
    expect(minimumNextBid({ ...base, currentPrice: 1_200 })).toBe(1_250);
  });
});

describe('reserve and winner', () => {
  it('is met by any bid without a reserve, and only at or above the reserve with one', () => {
    expect(isReserveMet(base)).toBe(false);
    expect(isReserveMet({ ...base, currentPrice: 1_000 })).toBe(true);
    expect(isReserveMet({ ...base, reservePrice: 1_500, currentPrice: 1_499 })).toBe(false);
    expect(isReserveMet({ ...base, reservePrice: 1_500, currentPrice: 1_500 })).toBe(true);
  });

  it('names the winner and final price only when closed with the reserve met', () => {
    const leading = { ...base, currentPrice: 1_600, leaderId: 'u1', bidCount: 3 };
    expect(toAuctionView(leading, 1_500)).toMatchObject({ status: 'open', winnerId: null, finalPrice: null });
    expect(toAuctionView(leading, 2_000)).toMatchObject({
      status: 'closed',
      winnerId: 'u1',
      finalPrice: 1_600,
    });
    const belowReserve = { ...leading, reservePrice: 2_000 };
    expect(toAuctionView(belowReserve, 2_000)).toMatchObject({
      status: 'closed',
      reserveMet: false,
      winnerId: null,
      finalPrice: null,
      leaderId: 'u1',
    });
  });

  it('never discloses the reserve price', () => {
    const view = toAuctionView({ ...base, reservePrice: 123_456 }, 1_500);
    expect(JSON.stringify(view)).not.toContain('123456');
    expect(view).not.toHaveProperty('reservePrice');
  });

  it('renders times as ISO-8601 UTC', () => {
    const view = toAuctionView({ ...base, startsAt: Date.UTC(2026, 0, 1), endsAt: Date.UTC(2026, 0, 2) }, 0);
    expect(view.startsAt).toBe('2026-01-01T00:00:00.000Z');
    expect(view.endsAt).toBe('2026-01-02T00:00:00.000Z');
  });
});
