import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { EventSink } from '../ports/event-sink.js';
import type { LogSink } from '../ports/logger.js';
import type { NotificationPublisher } from '../ports/notifications.js';
import { type PersistOutcome, persistEvents } from '../use-cases/shared/persist-events.js';

export interface WriterDeps {
  sink: EventSink;
  logger: LogSink;
  /** Where the committed notifications go to be pushed (the fanout queue); absent: not pushed. */
  notifications?: NotificationPublisher;
  /** Called once per batch, for metrics. */
  observe?: (outcome: PersistOutcome, records: number) => void;
}

/** SQS batch -> persistEvents -> partial batch response (only the failed messages are redelivered). */
export function createWriterHandler(deps: WriterDeps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const outcome = await persistEvents(
      deps,
      event.Records.map((record) => ({ id: record.messageId, body: record.body })),
    );
    deps.observe?.(outcome, event.Records.length);
    // After the commit; the list has them whatever happens to the push.
    if (deps.notifications && outcome.notifications.length > 0) {
      await deps.notifications.publish(outcome.notifications).catch((error: unknown) =>
        deps.logger.warn('notification push not sent; clients read them from GET /me/notifications', {
          notifications: outcome.notifications.length,
          error: String(error),
        }),
      );
    }
    return { batchItemFailures: outcome.failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
