import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { EventSink } from '../ports/event-sink.js';
import type { LogSink } from '../ports/logger.js';
import { type PersistOutcome, persistEvents } from '../use-cases/shared/persist-events.js';

export interface WriterDeps {
  sink: EventSink;
  logger: LogSink;
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
    return { batchItemFailures: outcome.failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
