import type { LogSink } from '../ports/logger.js';
import { composeEventSink } from '../wiring/database.js';
import { createWriterHandler, type WriterDeps } from './handler.js';

/** The composition root of the writer: the PostgreSQL client (from wiring/), once per cold start. */
export async function composeWriter(
  logger: LogSink,
  observe?: WriterDeps['observe'],
): Promise<{ handler: ReturnType<typeof createWriterHandler>; close: () => Promise<void> }> {
  const database = await composeEventSink();
  return {
    handler: createWriterHandler({ sink: database.sink, logger, ...(observe ? { observe } : {}) }),
    close: database.close,
  };
}
