import { createPostgresClient } from '../adapters/postgres/client.js';
import { readDatabaseEnvironment, requireDatabaseUrl } from '../adapters/postgres/database-url.js';
import { PostgresEventSink } from '../adapters/postgres/postgres-event-sink.js';
import { logger, MetricUnit, metrics } from '../observability.js';
import { createWriterHandler } from './handler.js';

// Cold start: configuration and the PostgreSQL client, once. One invocation at a time per
// environment, so one connection is enough (RDS Proxy multiplexes the environments).
const sql = createPostgresClient({
  url: await requireDatabaseUrl(readDatabaseEnvironment()),
  max: 1,
  name: 'live-sale-writer',
});

const writer = createWriterHandler({
  sink: new PostgresEventSink(sql),
  logger,
  observe: (outcome, records) => {
    metrics.addMetric('EventsReceived', MetricUnit.Count, records);
    metrics.addMetric('EventsPersisted', MetricUnit.Count, outcome.persisted);
    metrics.addMetric('EventsFailed', MetricUnit.Count, outcome.failed.length);
    metrics.addMetric('RowsWritten', MetricUnit.Count, outcome.rows);
  },
});

export const handler: typeof writer = async (event) => {
  try {
    return await writer(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
