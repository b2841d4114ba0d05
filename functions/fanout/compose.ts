import { type Environment, readEnvironment } from '../config.js';
import type { LogSink } from '../ports/logger.js';
import type { Counter } from '../realtime/ports.js';
import { FANOUT_LEASE_WAIT_MS, type FanOutDeps } from '../realtime/use-cases/fan-out.js';
import { notifyFromLog } from '../use-cases/notifications/notify-from-log.js';
import { composeFanOutAdapters } from '../wiring/realtime.js';

/** The composition root of the fan-out function: adapters (from wiring/) made once per cold start. */
export async function composeFanOut(
  logger: LogSink,
  metrics: Counter,
  env: Environment = readEnvironment(),
): Promise<{ deps: FanOutDeps; close: () => Promise<void> }> {
  const adapters = await composeFanOutAdapters(logger, env);
  const notifications = adapters.notifications;
  return {
    deps: {
      registry: adapters.realtime.registry,
      topics: adapters.topics,
      messenger: adapters.messenger,
      metrics,
      logger,
      concurrency: env.FANOUT_CONCURRENCY,
      leaseWaitMs: FANOUT_LEASE_WAIT_MS,
      ...(adapters.partQueue ? { parts: { queue: adapters.partQueue, size: env.FANOUT_PART_SIZE } } : {}),
      ...(notifications
        ? {
            notifyFromLog: (auctionIds: readonly string[]) =>
              notifyFromLog(
                {
                  ...notifications,
                  logger,
                  push: {
                    registry: adapters.realtime.registry,
                    messenger: adapters.messenger,
                    metrics,
                    logger,
                  },
                },
                auctionIds,
              ),
          }
        : {}),
      ...(adapters.broadcast
        ? {
            broadcast: {
              info: adapters.broadcast.info,
              modes: adapters.broadcast.ledger,
              publish: {
                ledger: adapters.broadcast.ledger,
                publisher: adapters.broadcast.publisher,
                intervalMs: 1_000 / env.BROADCAST_PUBLISH_RATE,
                eventsPerPublish: env.BROADCAST_EVENTS_PER_PUBLISH,
                logger,
                metrics,
              },
            },
          }
        : {}),
    },
    close: adapters.close,
  };
}
