import type { AuctionState, Bid } from '../domain/auction.js';
import type { EventEnvelope } from '../domain/events.js';
import type { ArchivedDecision } from './product-store.js';

/** An auction as PostgreSQL has it: the newest persisted state (`record` = the raw Redis record). */
export interface ArchivedAuction {
  state: AuctionState;
  record: Record<string, string>;
}

/**
 * The persisted side of auctions (PostgreSQL, written by the writer from the persist queue): read
 * back once Redis no longer has an auction (a closed auction evicted, or state lost), and the source
 * of a rebuild (ARCHITECTURE.md guarantee 5).
 */
export interface AuctionArchive {
  find(auctionId: string): Promise<ArchivedAuction | null>;
  /** Newest first. */
  recentBids(auctionId: string, limit: number): Promise<Bid[]>;
  /** Oldest first, seq > sinceSeq. */
  events(auctionId: string, sinceSeq: number, limit: number): Promise<EventEnvelope[]>;
  /** Bids decided under an Idempotency-Key within the last 24 h, to replay after a rebuild. */
  decisions(auctionId: string): Promise<ArchivedDecision[]>;
  /**
   * True when every event of this auction sent before `fencedSince` (epoch ms) is persisted: the
   * persist queue holds none of them any more and its dead-letter queue has none either.
   */
  settled(auctionId: string, fencedSince: number): Promise<boolean>;
  /**
   * For an auction `find` did not know: true while something sent for it may still be on its way
   * (the persist queue is not drained, or its DLQ holds this auction's events), so "unknown" cannot
   * be told from "created a moment ago, not stored yet".
   */
  mayBeInFlight(auctionId: string): Promise<boolean>;
}
