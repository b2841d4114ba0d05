import type { EventEnvelope } from '../../functions/domain/events.js';

/** An auction event as the place-bid script writes it (full state record, bid), for fan-out tests. */
export function auctionEvent(id: string, seq: number, type = 'bid.accepted'): EventEnvelope {
  const now = Date.now();
  return {
    eventId: `a:${id}:${seq}`,
    type: type as EventEnvelope['type'],
    entityType: 'auction',
    entityId: id,
    seq,
    occurredAt: now,
    payload: {
      state: {
        id,
        title: 'Lot',
        sellerId: 'seller',
        startingPrice: '100',
        minIncrement: '10',
        reservePrice: '',
        startsAt: String(now - 1_000),
        endsAt: String(now + 60_000),
        antiWindow: '',
        antiExtend: '',
        antiMax: '',
        extensions: '0',
        currentPrice: String(100 + seq),
        leaderId: 'bidder',
        bidCount: String(seq),
        seq: String(seq),
        createdAt: String(now - 1_000),
        closedAt: type === 'auction.closed' ? String(now) : '',
      },
      bid: {
        id: `b${seq}`,
        auctionId: id,
        bidderId: 'bidder',
        amount: String(100 + seq),
        seq,
        placedAt: now,
      },
    },
  };
}
