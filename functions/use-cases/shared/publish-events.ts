import { type EventEnvelope, isWatcherVisible, withoutSecrets } from '../../domain/events.js';
import type { EventPublisher } from '../../ports/event-publisher.js';
import type { LogSink } from '../../ports/logger.js';

export interface OutboxAcknowledger {
  acknowledge(events: readonly EventEnvelope[]): Promise<void>;
}

/**
 * After the deciding script succeeded: the event is already in the entity's outbox, so the client
 * may get its 2xx whatever happens here. Persist and fan-out are sent in parallel; the outbox entry
 * is removed only once the persist queue has the event. A failure leaves it for the sweeper, which
 * re-sends; fan-out is best effort (the next update carries the full state) and gets copies without
 * the secret maxima of proxy bidding.
 */
export async function publishEvents(
  deps: { publisher: EventPublisher; outbox: OutboxAcknowledger; logger: LogSink },
  events: readonly EventEnvelope[],
): Promise<void> {
  // The acknowledgement is sent, not awaited: nothing in the answer depends on its reply, and
  // awaiting it cost every accepted write one more Redis round trip (issue 23: one more sleep and
  // wake-up of the instance per bid). The client writes it within this turn of the event loop
  // (ioredis's auto-pipelining flushes on setImmediate), long before Lambda freezes the instance
  // after the response; if it never lands, the sweeper re-sends the event (the writer is idempotent).
  const persisted = deps.publisher.persist(events).then(() => {
    deps.outbox.acknowledge(events).catch((error: unknown) =>
      deps.logger.warn('outbox acknowledgement failed; the sweeper will re-send', {
        eventIds: events.map((event) => event.eventId),
        error: String(error),
      }),
    );
  });
  // Watchers never get a maximum (proxy bidding), nor a change they cannot see.
  const visible = events.filter(isWatcherVisible).map(withoutSecrets);
  const fannedOut = visible.length > 0 ? deps.publisher.fanout(visible) : Promise.resolve();
  const [persist, fanout] = await Promise.allSettled([persisted, fannedOut]);
  const eventIds = events.map((event) => event.eventId);
  if (persist.status === 'rejected') {
    deps.logger.warn('persist send failed; the sweeper will re-send from the outbox', {
      eventIds,
      error: String(persist.reason),
    });
  }
  if (fanout.status === 'rejected') {
    deps.logger.warn('fanout send failed; watchers converge on the next update', {
      eventIds,
      error: String(fanout.reason),
    });
  }
}
