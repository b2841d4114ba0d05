import type { EventEnvelope } from '../domain/events.js';

/** An entity that may have unacknowledged events: `a:ID` / `p:ID`, with its newest intent. */
export interface OutboxEntry {
  member: string;
  /** Newest intent, epoch ms as the index printed it (passed back verbatim to `release`). */
  score: string;
}

/** The outboxes of all entities, as the sweeper's re-send job sees them. */
export interface Outboxes {
  /** One page of all entries: start with cursor '0'; a returned cursor '0' means the last page. */
  entries(cursor: string, count: number): Promise<{ cursor: string; entries: OutboxEntry[] }>;
  pending(member: string): Promise<EventEnvelope[]>;
  /** Drops the entry from the index unless a new intent arrived since it was listed. */
  release(entry: OutboxEntry): Promise<boolean>;
  /** Removes events from their entity's outbox once the persist queue has them. */
  acknowledge(events: readonly EventEnvelope[]): Promise<void>;
  /** The server clock (epoch ms). */
  now(): Promise<number>;
}
