import type { Bid } from '../domain/auction.js';
import type { EventEnvelope } from '../domain/events.js';
import type { ArchivedDecision } from './product-store.js';

export type AuctionFence =
  | { now: number; exists: true }
  /** `outboxPending`: events of the lost auction still waiting in its outbox to be (re-)sent. */
  | { now: number; exists: false; since: number; outboxPending: number };

export interface AuctionSnapshot {
  record: Record<string, string>;
  /** Newest first. */
  bids: Bid[];
  /** Oldest first. */
  events: EventEnvelope[];
  /** Idempotency-Key decisions to store again (each one's event is the decision's last). */
  decisions?: ArchivedDecision[];
}

/** The Redis side of rebuilding a lost auction (see use-cases/auctions/recover-auction.ts). */
export interface AuctionRecoveryStore {
  /** Raises (or reads) the fence of an auction whose state is missing. */
  fence(auctionId: string): Promise<AuctionFence>;
  /** Rebuilds a fenced auction and lowers the fence; false if it was not fenced or is present. */
  restore(auctionId: string, snapshot: AuctionSnapshot): Promise<boolean>;
}

/** The sweeper's side of closing auctions whose end has passed. */
export type CloseOutcome =
  | { code: 'closed'; event: EventEnvelope }
  | { code: 'already_closed' }
  | { code: 'auction_not_found' }
  | { code: 'not_ended'; endsAt: number };

export interface AuctionCloser {
  /** The server clock (epoch ms). */
  now(): Promise<number>;
  /** Auctions whose indexed end is at or before `nowMs`, oldest end first. */
  dueForClose(nowMs: number, limit: number): Promise<string[]>;
  close(auctionId: string): Promise<CloseOutcome>;
  /** Moves the auction's index entry to its (extended) end. */
  reschedule(auctionId: string, endsAt: number): Promise<void>;
  unschedule(auctionId: string): Promise<void>;
}
