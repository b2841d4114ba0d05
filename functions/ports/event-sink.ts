import type { EventEnvelope } from '../domain/events.js';
import type { StoredNotification } from './notifications.js';

export interface EventSinkWrite {
  /** Rows inserted or moved forward (duplicates and stale states count nothing). */
  rows: number;
  /** The personal notifications derived from these events in the same transaction (issue 27). */
  notifications?: StoredNotification[];
}

/** Where the writer persists events (PostgreSQL). */
export interface EventSink {
  /** Writes all the events or none (one transaction); idempotent and order-independent. */
  write(events: readonly EventEnvelope<Record<string, unknown>>[]): Promise<EventSinkWrite>;
  /**
   * True when the error is about the events themselves (a payload the schema refuses), false when
   * the store failed (down, timeout): the first is retried event by event to find the culprits, the
   * second fails the whole batch so that SQS redelivers it.
   */
  isRejection(error: unknown): boolean;
}
