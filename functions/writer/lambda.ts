import { logger, MetricUnit, metrics } from '../observability.js';
import { composeWriter } from './compose.js';

// Cold start: configuration and the PostgreSQL client, once.
const { handler: writer } = await composeWriter(logger, (outcome, records) => {
  metrics.addMetric('EventsReceived', MetricUnit.Count, records);
  metrics.addMetric('EventsPersisted', MetricUnit.Count, outcome.persisted);
  metrics.addMetric('EventsFailed', MetricUnit.Count, outcome.failed.length);
  metrics.addMetric('RowsWritten', MetricUnit.Count, outcome.rows);
});

export const handler: typeof writer = async (event) => {
  try {
    return await writer(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
