import type { Notification } from '../api/schemas.js';
import type { RecordedEvent } from '../domain/notifications.js';

/** A notification as stored: the public view and whose it is. */
export interface StoredNotification {
  userId: string;
  notification: Notification;
}

export interface NotificationPage {
  notifications: Notification[];
  /** The seq to continue from, or null when this page reached the newest. */
  next: number | null;
}

/** The durable list (PostgreSQL): complete, per user in seq order. */
export interface NotificationReader {
  list(userId: string, since: number, limit: number): Promise<NotificationPage>;
  /** The user's newest notification seq, 0 if none. */
  latestSeq(userId: string): Promise<number>;
}

export interface NotificationRetention {
  /** Deletes notifications older than the cutoff (epoch ms); how many. */
  deleteOlderThan(cutoffMs: number): Promise<number>;
}

/**
 * The fast path: each new notification to every connection of its user subscribed to `me`. Best
 * effort (a lost push is caught up through GET /me/notifications).
 */
export interface NotificationPusher {
  push(notifications: readonly StoredNotification[]): Promise<void>;
}

/**
 * Derives notifications from a log other than PostgreSQL's events (the fan-out reads the auction's
 * event log in Redis, complete and in order, before the writer stored it), under the same cursor
 * locks as the writer: whichever comes first derives an event, exactly once.
 */
export interface NotificationDeriver {
  deriveFromLog(
    entities: readonly { entityType: 'auction' | 'product'; entityId: string }[],
    load: (
      entity: { entityType: 'auction' | 'product'; entityId: string },
      fromSeq: number,
    ) => Promise<RecordedEvent[]>,
    stopBefore: (event: RecordedEvent) => boolean,
  ): Promise<StoredNotification[]>;
}

/** After the writer's commit: the notifications it derived, towards the push (best effort). */
export interface NotificationPublisher {
  publish(notifications: readonly StoredNotification[]): Promise<void>;
}
