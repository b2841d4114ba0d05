import type { EventPublisher } from '../ports/event-publisher.js';
import type { LogSink } from '../ports/logger.js';
import type { Outboxes } from '../ports/outbox.js';
import { publishEvents } from './publish-events.js';

export interface ResendOutboxSettings {
  /** Events younger than this are left to the request that made them (it is probably sending them). */
  resendAfterMs: number;
  /** An index entry with an empty outbox is dropped once its newest intent is this old. */
  releaseAfterMs: number;
  /** Entities looked at per run. */
  limit: number;
}

export const DEFAULT_RESEND_SETTINGS: ResendOutboxSettings = {
  resendAfterMs: 5_000,
  releaseAfterMs: 60_000,
  limit: 5_000,
};

/**
 * Guarantee 3, the crash between Redis and SQS: every event is in its entity's outbox from the
 * deciding script on, until the persist queue acknowledged it. Events still there after a few
 * seconds are sent again (persist and fan-out, then acknowledged); the writer is idempotent by event
 * id, so a duplicate of an event that did reach SQS costs nothing.
 */
export async function resendOutbox(
  deps: { outboxes: Outboxes; publisher: EventPublisher; logger: LogSink },
  settings: ResendOutboxSettings = DEFAULT_RESEND_SETTINGS,
): Promise<{ entities: number; resent: number; released: number; failed: number }> {
  const counts = { entities: 0, resent: 0, released: 0, failed: 0 };
  const now = await deps.outboxes.now();
  const entries = await deps.outboxes.entries(settings.limit);
  counts.entities = entries.length;
  const CONCURRENCY = 32;
  for (let start = 0; start < entries.length; start += CONCURRENCY) {
    await Promise.all(
      entries.slice(start, start + CONCURRENCY).map(async (entry) => {
        try {
          const pending = await deps.outboxes.pending(entry.member);
          const stale = pending.filter((event) => now - event.occurredAt >= settings.resendAfterMs);
          if (stale.length > 0) {
            const failures: unknown[] = [];
            await publishEvents(
              {
                publisher: deps.publisher,
                outbox: deps.outboxes,
                logger: {
                  warn: (message, ...extra) => {
                    if (message.startsWith('persist')) failures.push(extra);
                    deps.logger.warn(message, ...extra);
                  },
                  error: (message, ...extra) => deps.logger.error(message, ...extra),
                },
              },
              stale,
            );
            // publishEvents only logs a failed persist send: the events stay for the next run.
            if (failures.length > 0) counts.failed += stale.length;
            else counts.resent += stale.length;
          }
          if (pending.length === 0 && now - Number(entry.score) >= settings.releaseAfterMs) {
            if (await deps.outboxes.release(entry)) counts.released++;
          }
        } catch (error) {
          counts.failed++;
          deps.logger.error('outbox re-send failed', { member: entry.member, error: String(error) });
        }
      }),
    );
  }
  return counts;
}
