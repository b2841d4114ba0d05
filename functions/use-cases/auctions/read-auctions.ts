import {
  type AuctionState,
  type AuctionView,
  type BidView,
  toAuctionView,
  toBidView,
} from '../../domain/auction.js';
import { parseAuctionRecord, parseEventBid } from '../../domain/auction-record.js';
import { NotFoundError } from '../../domain/errors.js';
import type { AuctionEventPayload, EventEnvelope } from '../../domain/events.js';
import type { AuctionStore } from '../../ports/auction-store.js';
import { type AuctionRecoveryDeps, auctionUnavailable, recoverAuction } from './recover-auction.js';

export const EVENTS_PAGE_SIZE = 500;

const notFound = (auctionId: string) =>
  new NotFoundError('auction_not_found', `auction ${auctionId} does not exist`);

type ReadDeps = { auctions: AuctionStore; recovery?: AuctionRecoveryDeps | undefined };

/**
 * An auction Redis does not have: from PostgreSQL when it is closed (final), rebuilt when it was lost
 * and nothing is in flight for it, else 503 while it is fenced (see recover-auction.ts).
 * Returns null when the auction is back in Redis and should be read there.
 */
async function fromArchive(deps: ReadDeps, auctionId: string): Promise<{ state: AuctionState } | null> {
  if (!deps.recovery) throw notFound(auctionId);
  const recovery = await recoverAuction(deps.recovery, auctionId);
  switch (recovery.kind) {
    case 'unknown':
      throw notFound(auctionId);
    case 'fenced':
      throw auctionUnavailable(auctionId);
    case 'archived':
      return { state: recovery.state };
    default:
      return null;
  }
}

export async function getAuction(deps: ReadDeps, auctionId: string): Promise<AuctionView> {
  const { now, state } = await deps.auctions.read(auctionId);
  if (state) return toAuctionView(state, now);
  const archived = await fromArchive(deps, auctionId);
  if (archived) return toAuctionView(archived.state, now);
  const reread = await deps.auctions.read(auctionId);
  if (!reread.state) throw auctionUnavailable(auctionId);
  return toAuctionView(reread.state, reread.now);
}

export async function listBids(deps: ReadDeps, auctionId: string, limit: number): Promise<BidView[]> {
  const [{ state }, bids] = await Promise.all([
    deps.auctions.read(auctionId),
    deps.auctions.recentBids(auctionId, limit),
  ]);
  if (state) return bids.map(toBidView);
  if (await fromArchive(deps, auctionId)) {
    return (await (deps.recovery as AuctionRecoveryDeps).archive.recentBids(auctionId, limit)).map(toBidView);
  }
  return (await deps.auctions.recentBids(auctionId, limit)).map(toBidView);
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
  deps: ReadDeps,
  auctionId: string,
  sinceSeq: number,
): Promise<AuctionEventsPage> {
  let [{ state }, events] = await Promise.all([
    deps.auctions.read(auctionId),
    deps.auctions.events(auctionId, sinceSeq, EVENTS_PAGE_SIZE),
  ]);
  if (!state) {
    events = (await fromArchive(deps, auctionId))
      ? await (deps.recovery as AuctionRecoveryDeps).archive.events(auctionId, sinceSeq, EVENTS_PAGE_SIZE)
      : await deps.auctions.events(auctionId, sinceSeq, EVENTS_PAGE_SIZE);
  }
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
    rendered.bid = toBidView(parseEventBid(bid));
  }
  return rendered;
}
