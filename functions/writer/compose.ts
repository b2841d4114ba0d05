import type { LogSink } from '../ports/logger.js';
import { composeEventSink, composeNotificationPublisher } from '../wiring/database.js';
import { createWriterHandler, type WriterDeps } from './handler.js';

/**
 * The composition root of the writer: the PostgreSQL client and, with FANOUT_QUEUE_URL, the queue
 * the committed notifications are pushed through (from wiring/), once per cold start.
 */
export async function composeWriter(
  logger: LogSink,
  observe?: WriterDeps['observe'],
): Promise<{ handler: ReturnType<typeof createWriterHandler>; close: () => Promise<void> }> {
  const database = await composeEventSink();
  const publisher = composeNotificationPublisher();
  return {
    handler: createWriterHandler({
      sink: database.sink,
      logger,
      ...(publisher ? { notifications: publisher.publisher } : {}),
      ...(observe ? { observe } : {}),
    }),
    close: async () => {
      publisher?.close();
      await database.close();
    },
  };
}
