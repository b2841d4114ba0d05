import type { EventPublisher } from '../../ports/event-publisher.js';
import type { LogSink } from '../../ports/logger.js';
import type { OutboxEntry, Outboxes } from '../../ports/outbox.js';
import { publishEvents } from './publish-events.js';

export interface ResendOutboxSettings {
  /** Events younger than this are left to the request that made them (it is probably sending them). */
  resendAfterMs: number;
  /** An index entry with an empty outbox is dropped once its newest intent is this old. */
  releaseAfterMs: number;
  /** Index members read per page; a run pages through the whole index. */
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
  // The whole index every run, page by page: a flood of index members must never hide a real
  // outbox from the sweeper (a scan may return a member twice: it is looked at once).
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const page = await deps.outboxes.entries(cursor, settings.limit);
    cursor = page.cursor;
    const entries = page.entries.filter((entry) => !seen.has(entry.member));
    for (const entry of entries) seen.add(entry.member);
    counts.entities += entries.length;
    await resendPage(deps, settings, now, entries, counts);
  } while (cursor !== '0');
  return counts;
}

async function resendPage(
  deps: { outboxes: Outboxes; publisher: EventPublisher; logger: LogSink },
  settings: ResendOutboxSettings,
  now: number,
  entries: readonly OutboxEntry[],
  counts: { entities: number; resent: number; released: number; failed: number },
): Promise<void> {
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
}
