/**
 * The fast path of `outbid` (issue 27: within 1 s of the bid's 201). The writer's path waits for the
 * persist queue's batching window (up to 1 s on AWS and locally); the fan-out gets each bid within
 * milliseconds, and the auction's event log in Redis holds every event in order, secrets included,
 * written atomically with the bid. So the fan-out derives the auction's notifications from that log,
 * in PostgreSQL, under the very cursor lock the writer uses (docs/notifications.md): whichever of
 * the two reaches an event first derives it, exactly once; the other finds the cursor past it.
 * A close is left to the writer (its notifications need every bid stored). Then the fan-out pushes
 * what it derived at once. Anything that fails here is done by the writer a moment later.
 */
import type { EventEnvelope } from '../../domain/events.js';
import { isClosing, type RecordedEvent } from '../../domain/notifications.js';
import type { LogSink } from '../../ports/logger.js';
import type { NotificationDeriver } from '../../ports/notifications.js';
import {
  type PushNotificationsDeps,
  pushNotifications,
} from '../../realtime/use-cases/push-notifications.js';

export interface AuctionEventLog {
  /** The auction's events with seq > sinceSeq, oldest first, at most `limit`. */
  events(auctionId: string, sinceSeq: number, limit: number): Promise<EventEnvelope[]>;
}

export interface NotifyFromLogDeps {
  deriver: NotificationDeriver;
  log: AuctionEventLog;
  push: PushNotificationsDeps;
  logger: LogSink;
}

const LOG_PAGE = 500;

const recorded = (event: EventEnvelope): RecordedEvent => ({
  eventId: event.eventId,
  type: event.type,
  entityType: event.entityType,
  entityId: event.entityId,
  seq: event.seq,
  occurredAt: event.occurredAt,
  payload: event.payload as Record<string, unknown>,
});

export async function notifyFromLog(deps: NotifyFromLogDeps, auctionIds: readonly string[]): Promise<number> {
  if (auctionIds.length === 0) return 0;
  try {
    const stored = await deps.deriver.deriveFromLog(
      auctionIds.map((entityId) => ({ entityType: 'auction' as const, entityId })),
      async (entity, fromSeq) =>
        (await deps.log.events(entity.entityId, Math.max(0, fromSeq - 1), LOG_PAGE)).map(recorded),
      isClosing,
    );
    await pushNotifications(deps.push, stored);
    return stored.length;
  } catch (error) {
    deps.logger.warn('notifications fast path failed; the writer derives them', {
      auctionIds,
      error: String(error),
    });
    return 0;
  }
}
