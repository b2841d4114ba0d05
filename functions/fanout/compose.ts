import { SignedPostMessenger, WAVE_POST_POLICY } from '../adapters/apigw/signed-post-messenger.js';
import { EventsPublisher } from '../adapters/appsync/events-publisher.js';
import { RedisBroadcastLedger } from '../adapters/redis/redis-broadcast-ledger.js';
import { RedisTopicReader } from '../adapters/redis/redis-topic-reader.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { SqsWavePartQueue } from '../adapters/sqs/sqs-wave-part-queue.js';
import { broadcastFromEnvironment, type Environment, readEnvironment, required } from '../config.js';
import type { LogSink } from '../ports/logger.js';
import type { Counter } from '../ports/realtime.js';
import { composeRealtime } from '../ws/compose.js';
import { FANOUT_LEASE_WAIT_MS, type FanOutDeps } from './fan-out.js';

/** The composition root of the fan-out function: adapters are made here, once per cold start. */
export async function composeFanOut(
  logger: LogSink,
  metrics: Counter,
  env: Environment = readEnvironment(),
): Promise<{ deps: FanOutDeps; close: () => Promise<void> }> {
  const realtime = await composeRealtime(logger, env, { maxSockets: 1 });
  // Waves post through the lean signed path (one keep-alive request per receiver, the payload hashed
  // once per wave); the SDK client lends it its credential provider chain. README: "Fan-out".
  const messenger = new SignedPostMessenger({
    endpoint: required(env, 'WS_MANAGEMENT_ENDPOINT'),
    region: env.AWS_REGION,
    credentials: realtime.client.config.credentials,
    maxSockets: env.FANOUT_CONCURRENCY,
    timeoutMs: env.FANOUT_POST_TIMEOUT_MS,
    policy: WAVE_POST_POLICY,
    onError: (connectionId, error) =>
      logger.warn('PostToConnection failed', {
        connectionId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
  });
  // Large waves are split and their parts put back on the fanout queue for other invocations.
  const sqs = env.FANOUT_QUEUE_URL ? createSqsClient(env) : undefined;
  // The broadcast tier: one publish per topic update (rate-capped) to its channel, signed with the
  // same credentials as the waves (the fan-out role may publish; no one else may).
  const info = broadcastFromEnvironment(env);
  const publisher =
    info && env.EVENTS_HTTP_URL
      ? new EventsPublisher({
          url: env.EVENTS_HTTP_URL,
          region: env.EVENTS_REGION ?? env.AWS_REGION,
          credentials: realtime.client.config.credentials,
          timeoutMs: env.FANOUT_POST_TIMEOUT_MS,
          onError: (channel, error) =>
            logger.warn('publish to the Events API failed', {
              channel,
              error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
            }),
        })
      : undefined;
  const ledger = new RedisBroadcastLedger(realtime.redis);
  return {
    deps: {
      registry: realtime.registry,
      topics: new RedisTopicReader(realtime.redis),
      messenger,
      metrics,
      logger,
      concurrency: env.FANOUT_CONCURRENCY,
      leaseWaitMs: FANOUT_LEASE_WAIT_MS,
      ...(info && publisher
        ? {
            broadcast: {
              info,
              modes: ledger,
              publish: {
                ledger,
                publisher,
                intervalMs: 1_000 / env.BROADCAST_PUBLISH_RATE,
                eventsPerPublish: env.BROADCAST_EVENTS_PER_PUBLISH,
                logger,
                metrics,
              },
            },
          }
        : {}),
      ...(sqs && env.FANOUT_QUEUE_URL
        ? { parts: { queue: new SqsWavePartQueue(sqs, env.FANOUT_QUEUE_URL), size: env.FANOUT_PART_SIZE } }
        : {}),
    },
    close: async () => {
      await messenger.destroy();
      await publisher?.destroy();
      sqs?.destroy();
      await realtime.close();
    },
  };
}
