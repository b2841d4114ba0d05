import { describe, expect, it } from 'vitest';
import { deriveNotifications, type RecordedEvent } from './notifications.js';

const AUCTION = 'a1';
let at = 1_000;

function state(fields: Record<string, string>): Record<string, string> {
  return {
    id: AUCTION,
    title: 'Lamp',
    sellerId: 'seller',
    startingPrice: '100',
    minIncrement: '10',
    reservePrice: '',
    leaderId: '',
    leaderMax: '',
    currentPrice: '',
    closedAt: '',
    ...fields,
  };
}

function auctionEvent(
  seq: number,
  type: string,
  fields: Record<string, string>,
  bid?: Record<string, unknown>,
): RecordedEvent {
  at += 1;
  return {
    eventId: `a:${AUCTION}:${seq}`,
    type,
    entityType: 'auction',
    entityId: AUCTION,
    seq,
    occurredAt: at,
    payload: bid ? { state: state({ ...fields, seq: String(seq) }), bid } : { state: state(fields) },
  };
}

const created = auctionEvent(1, 'auction.created', {});
const bid = (
  seq: number,
  bidder: string,
  price: number,
  extra: Record<string, unknown> = {},
  leaderMax = '',
) =>
  auctionEvent(
    seq,
    'bid.accepted',
    { leaderId: String(extra.leader ?? bidder), currentPrice: String(price), leaderMax },
    {
      id: String(extra.id ?? `b${seq}`),
      bidderId: bidder,
      amount: String(extra.amount ?? price),
      ...(extra.bid as Record<string, unknown> | undefined),
    },
  );

describe('deriveNotifications: outbid', () => {
  it('tells the previous leader once when someone else takes the lead, never the new leader', () => {
    const alice = bid(2, 'alice', 100);
    const bob = bid(3, 'bob', 110);
    const result = deriveNotifications({ previous: created, throughSeq: 1, events: [alice, bob] });
    expect(result.throughSeq).toBe(3);
    expect(result.drafts).toEqual([
      {
        userId: 'alice',
        kind: 'outbid',
        at: bob.occurredAt,
        auctionId: AUCTION,
        amount: 110,
        title: 'Lamp',
        sourceEventId: bob.eventId,
      },
    ]);
  });

  it('stops at a gap and takes the run up again from the cursor once the missing event is stored', () => {
    const alice = bid(2, 'alice', 100);
    const bob = bid(3, 'bob', 110);
    const carol = bid(4, 'carol', 120);
    const first = deriveNotifications({ previous: created, throughSeq: 1, events: [bob, carol] });
    expect(first).toEqual({ drafts: [], throughSeq: 1 });
    const second = deriveNotifications({ previous: created, throughSeq: 1, events: [carol, alice, bob] });
    expect(second.drafts.map((d) => [d.userId, d.sourceEventId])).toEqual([
      ['alice', bob.eventId],
      ['bob', carol.eventId],
    ]);
    expect(second.throughSeq).toBe(4);
  });

  it('a proxy raise that keeps the leader leading is not an outbid, with or without the raise stored', () => {
    // Alice leads at 100 with a maximum of 300; Bob bids 110: his bid (seq 3), then the proxy's raise
    // of Alice to 120 (seq 4).
    const alice = bid(2, 'alice', 100, { bid: { maxAmount: '300' } }, '300');
    const bob = bid(3, 'bob', 110, {}, '');
    const raise = bid(4, 'alice', 120, { id: 'b3-p', bid: { proxy: true, maxAmount: '300' } }, '300');
    const both = deriveNotifications({ previous: created, throughSeq: 1, events: [alice, bob, raise] });
    expect(both.drafts).toEqual([]);
    const ownOnly = deriveNotifications({ previous: alice, throughSeq: 2, events: [bob] });
    expect(ownOnly.drafts).toEqual([]);
    expect(ownOnly.throughSeq).toBe(3);
  });

  it('a request that ends with the newcomer leading after a raise sends exactly one outbid, at the final price', () => {
    const alice = bid(2, 'alice', 100, { bid: { maxAmount: '150' } }, '150');
    const bob = bid(3, 'bob', 110, { bid: { maxAmount: '400' } }, '400');
    const raise = bid(4, 'bob', 160, { id: 'b3-p', bid: { proxy: true, maxAmount: '400' } }, '400');
    const result = deriveNotifications({ previous: created, throughSeq: 1, events: [alice, bob, raise] });
    expect(result.drafts.map((d) => [d.userId, d.kind, d.amount])).toEqual([['alice', 'outbid', 160]]);
    // Stored without its raise, the rule still names the right person (once).
    const early = deriveNotifications({ previous: alice, throughSeq: 2, events: [bob] });
    expect(early.drafts.map((d) => d.userId)).toEqual(['alice']);
    const late = deriveNotifications({ previous: bob, throughSeq: 3, events: [raise] });
    expect(late.drafts).toEqual([]);
  });

  it("equal maxima keep the earlier bidder leading, and a leader's own raises notify no one", () => {
    const alice = bid(2, 'alice', 100, { bid: { maxAmount: '200' } }, '200');
    const bob = bid(3, 'bob', 200, {}, '');
    expect(deriveNotifications({ previous: alice, throughSeq: 2, events: [bob] }).drafts).toEqual([]);
    const lift = bid(3, 'alice', 150, { bid: { proxy: true } }, '400');
    const raised = auctionEvent(4, 'bid.max_raised', {
      leaderId: 'alice',
      currentPrice: '150',
      leaderMax: '500',
    });
    expect(deriveNotifications({ previous: alice, throughSeq: 2, events: [lift, raised] }).drafts).toEqual(
      [],
    );
  });
});

describe('deriveNotifications: close', () => {
  const closeOf = (seq: number, fields: Record<string, string>) =>
    auctionEvent(seq, 'auction.closed', { closedAt: '9999', ...fields });

  it('with a winner: won (final price), lost to every other bidder once, sold to the seller', () => {
    const last = bid(4, 'bob', 130);
    const close = closeOf(5, { leaderId: 'bob', currentPrice: '130' });
    const result = deriveNotifications({
      previous: last,
      throughSeq: 4,
      events: [close],
      bidders: ['alice', 'bob', 'carol', 'alice'],
    });
    expect(result.drafts.map((d) => [d.userId, d.kind, d.amount])).toEqual([
      ['bob', 'auction.won', 130],
      ['alice', 'auction.lost', undefined],
      ['carol', 'auction.lost', undefined],
      ['seller', 'auction.sold', 130],
    ]);
  });

  it('without a winner (no bid, or the reserve not met): unsold to the seller, lost to the bidders', () => {
    const noBid = deriveNotifications({
      previous: created,
      throughSeq: 1,
      events: [closeOf(2, {})],
      bidders: [],
    });
    expect(noBid.drafts.map((d) => [d.userId, d.kind])).toEqual([['seller', 'auction.unsold']]);
    const last = bid(2, 'alice', 100);
    const reserve = closeOf(3, { leaderId: 'alice', currentPrice: '100', reservePrice: '500' });
    const unmet = deriveNotifications({
      previous: last,
      throughSeq: 2,
      events: [reserve],
      bidders: ['alice'],
    });
    expect(unmet.drafts.map((d) => [d.userId, d.kind])).toEqual([
      ['alice', 'auction.lost'],
      ['seller', 'auction.unsold'],
    ]);
  });

  it('the auction house: cancelled tells the bidders only; a buy-now is a close with its named winner', () => {
    const last = bid(2, 'alice', 100);
    const cancelled = closeOf(3, {
      leaderId: 'alice',
      currentPrice: '100',
      cancelled: 'true',
      closedBy: 'seller',
    });
    const result = deriveNotifications({
      previous: last,
      throughSeq: 2,
      events: [cancelled],
      bidders: ['alice', 'bob'],
    });
    expect(result.drafts.map((d) => [d.userId, d.kind])).toEqual([
      ['alice', 'auction.cancelled'],
      ['bob', 'auction.cancelled'],
    ]);
    const bought = closeOf(3, {
      leaderId: 'carol',
      winnerId: 'carol',
      finalPrice: '900',
      closedBy: 'buy_now',
    });
    const buyNow = deriveNotifications({
      previous: last,
      throughSeq: 2,
      events: [bought],
      bidders: ['alice'],
    });
    expect(buyNow.drafts.map((d) => [d.userId, d.kind, d.amount])).toEqual([
      ['carol', 'auction.won', 900],
      ['alice', 'auction.lost', undefined],
      ['seller', 'auction.sold', 900],
    ]);
  });
});

describe('deriveNotifications: orders', () => {
  const productEvent = (
    seq: number,
    type: string,
    order: Record<string, unknown>,
    payment?: Record<string, unknown>,
  ) => ({
    eventId: `p:p1:${seq}`,
    type,
    entityType: 'product' as const,
    entityId: 'p1',
    seq,
    occurredAt: 5_000 + seq,
    payload: {
      product: { id: 'p1', name: 'Sneakers' },
      order: { id: `o${seq}`, userId: 'dana', amount: '2500', ...order },
      payment,
    },
  });

  it('paid, expired, a failed payment and a refund owed reach the buyer; a reservation or own cancel does not', () => {
    const events = [
      productEvent(2, 'order.reserved', {}),
      productEvent(3, 'order.paid', {}),
      productEvent(4, 'order.expired', {}),
      productEvent(5, 'order.cancelled', {}),
      productEvent(6, 'order.cancelled', {}, { type: 'payment.failed', outcome: 'cancelled' }),
      productEvent(
        7,
        'payment.received',
        { refundRequired: true },
        { type: 'payment.succeeded', outcome: 'refund' },
      ),
      productEvent(8, 'payment.received', {}, { type: 'payment.failed', outcome: 'ignored' }),
    ];
    const result = deriveNotifications({ previous: null, throughSeq: 1, events });
    expect(result.throughSeq).toBe(8);
    expect(result.drafts.map((d) => [d.kind, d.orderId, d.userId, d.amount, d.title])).toEqual([
      ['order.paid', 'o3', 'dana', 2500, 'Sneakers'],
      ['order.expired', 'o4', 'dana', 2500, 'Sneakers'],
      ['order.cancelled', 'o6', 'dana', 2500, 'Sneakers'],
      ['order.refund_required', 'o7', 'dana', 2500, 'Sneakers'],
    ]);
  });
});
