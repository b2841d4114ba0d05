import { handle } from 'hono/aws-lambda';
import { logger, MetricUnit, metrics } from '../observability.js';
import { composeHttpApp } from './compose.js';

// Cold start: configuration, secrets and clients, once. A bad configuration fails here, loudly.
const { app } = await composeHttpApp(logger, undefined, ({ route, status, durationMs }) => {
  metrics.addDimensions({ route });
  metrics.addMetric(
    status >= 500 ? 'ServerErrors' : status >= 400 ? 'ClientErrors' : 'Successes',
    MetricUnit.Count,
    1,
  );
  metrics.addMetric('Latency', MetricUnit.Milliseconds, durationMs);
});

const honoHandler = handle(app);

export const handler: typeof honoHandler = async (event, context) => {
  try {
    return await honoHandler(event, context);
  } finally {
    metrics.publishStoredMetrics();
  }
};
