import { MalformedEventError, parseEventEnvelope } from '../../domain/event-schema.js';
import type { EventEnvelope } from '../../domain/events.js';
import type { EventSink } from '../../ports/event-sink.js';
import type { LogSink } from '../../ports/logger.js';
import type { StoredNotification } from '../../ports/notifications.js';

export interface IncomingMessage {
  /** The id the caller reports failures by (the SQS messageId). */
  id: string;
  body: string;
}

export interface PersistOutcome {
  /** Ids of the messages that were not persisted and must be delivered again. */
  failed: string[];
  persisted: number;
  duplicatesInBatch: number;
  rows: number;
  /** Personal notifications the writes derived (committed), for the push. */
  notifications: StoredNotification[];
}

type Event = EventEnvelope<Record<string, unknown>>;

/**
 * Persists one batch of delivered events. The whole batch goes in one write; if the store refuses
 * it because of some event's data, the events are written one by one so that exactly the culprits
 * fail (a poison message fails alone and, after maxReceiveCount receives, lands in the DLQ). If the
 * store itself fails (down, timeout), every message fails and SQS delivers them again later.
 */
export async function persistEvents(
  deps: { sink: EventSink; logger: LogSink },
  messages: readonly IncomingMessage[],
): Promise<PersistOutcome> {
  const failed: string[] = [];
  // Several messages may carry the same event (a re-send raced the first send): write it once,
  // report all of its messages by its outcome.
  const messagesByEvent = new Map<string, { event: Event; ids: string[] }>();
  for (const message of messages) {
    try {
      const event = parseEventEnvelope(message.body);
      const entry = messagesByEvent.get(event.eventId);
      if (entry) entry.ids.push(message.id);
      else messagesByEvent.set(event.eventId, { event, ids: [message.id] });
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      deps.logger.error('malformed event message', { messageId: message.id, reason: error.message });
      failed.push(message.id);
    }
  }
  const entries = [...messagesByEvent.values()];
  const outcome: PersistOutcome = {
    failed,
    persisted: 0,
    duplicatesInBatch: messages.length - failed.length - entries.length,
    rows: 0,
    notifications: [],
  };
  if (entries.length === 0) return outcome;
  try {
    const written = await deps.sink.write(entries.map((entry) => entry.event));
    outcome.rows += written.rows;
    outcome.notifications.push(...(written.notifications ?? []));
    outcome.persisted = entries.length;
    return outcome;
  } catch (error) {
    if (!deps.sink.isRejection(error)) {
      deps.logger.error('event store unavailable; the whole batch will be delivered again', {
        events: entries.length,
        error: String(error),
      });
      for (const entry of entries) failed.push(...entry.ids);
      return outcome;
    }
  }
  for (const [index, entry] of entries.entries()) {
    try {
      const written = await deps.sink.write([entry.event]);
      outcome.rows += written.rows;
      outcome.notifications.push(...(written.notifications ?? []));
      outcome.persisted++;
    } catch (error) {
      if (deps.sink.isRejection(error)) {
        deps.logger.error('event refused by the store', {
          eventId: entry.event.eventId,
          error: String(error),
        });
        failed.push(...entry.ids);
        continue;
      }
      deps.logger.error('event store failed while isolating a refused event', { error: String(error) });
      for (const rest of entries.slice(index)) failed.push(...rest.ids);
      break;
    }
  }
  return outcome;
}
