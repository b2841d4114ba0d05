import { type AuctionView, type BidView, toAuctionView, toBidView } from '../domain/auction.js';
import { parseAuctionRecord } from '../domain/auction-record.js';
import { NotFoundError } from '../domain/errors.js';
import type { AuctionEventPayload, EventEnvelope } from '../domain/events.js';
import type { AuctionStore } from '../ports/auction-store.js';

export const EVENTS_PAGE_SIZE = 500;

const notFound = (auctionId: string) =>
  new NotFoundError('auction_not_found', `auction ${auctionId} does not exist`);

export async function getAuction(deps: { auctions: AuctionStore }, auctionId: string): Promise<AuctionView> {
  const { now, state } = await deps.auctions.read(auctionId);
  if (!state) throw notFound(auctionId);
  return toAuctionView(state, now);
}

export async function listBids(
  deps: { auctions: AuctionStore },
  auctionId: string,
  limit: number,
): Promise<BidView[]> {
  const [{ state }, bids] = await Promise.all([
    deps.auctions.read(auctionId),
    deps.auctions.recentBids(auctionId, limit),
  ]);
  if (!state) throw notFound(auctionId);
  return bids.map(toBidView);
}

export interface PublicAuctionEvent {
  seq: number;
  type: string;
  occurredAt: string;
  auction: AuctionView;
  bid?: BidView;
}

export interface AuctionEventsPage {
  events: PublicAuctionEvent[];
  /** The `since` to ask for next, or null when this page reached the newest event. */
  next: number | null;
}

/**
 * Events are rendered with the state they carry, read at the moment they happened, so a catch-up
 * client sees exactly what a watcher would have seen.
 */
export async function listAuctionEvents(
  deps: { auctions: AuctionStore },
  auctionId: string,
  sinceSeq: number,
): Promise<AuctionEventsPage> {
  const [{ state }, events] = await Promise.all([
    deps.auctions.read(auctionId),
    deps.auctions.events(auctionId, sinceSeq, EVENTS_PAGE_SIZE),
  ]);
  if (!state) throw notFound(auctionId);
  const rendered = events.map((event) => renderEvent(event as EventEnvelope<AuctionEventPayload>));
  const last = rendered.at(-1);
  return { events: rendered, next: rendered.length === EVENTS_PAGE_SIZE && last ? last.seq : null };
}

function renderEvent(event: EventEnvelope<AuctionEventPayload>): PublicAuctionEvent {
  const rendered: PublicAuctionEvent = {
    seq: event.seq,
    type: event.type,
    occurredAt: new Date(event.occurredAt).toISOString(),
    auction: toAuctionView(parseAuctionRecord(event.payload.state), event.occurredAt),
  };
  const bid = event.payload.bid;
  if (bid) {
    rendered.bid = toBidView({
      id: String(bid.id),
      auctionId: String(bid.auctionId),
      bidderId: String(bid.bidderId),
      amount: Number(bid.amount),
      seq: Number(bid.seq),
      placedAt: Number(bid.placedAt),
    });
  }
  return rendered;
}
