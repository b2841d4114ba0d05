import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger, MetricUnit, metrics } from '../observability.js';
import { fanOut } from '../realtime/use-cases/fan-out.js';
import { composeFanOut } from './compose.js';

// Cold start: configuration, Redis and the management API client, once.
const { deps } = await composeFanOut(logger, {
  count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value),
});

/** SQS "fanout" queue (reportBatchItemFailures): only unreadable records or failed waves are retried. */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  try {
    return await fanOut(
      deps,
      event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
      { remainingMs: () => context.getRemainingTimeInMillis() },
    );
  } finally {
    metrics.publishStoredMetrics();
  }
};
