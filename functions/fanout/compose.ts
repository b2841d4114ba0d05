import { SignedPostMessenger, WAVE_POST_POLICY } from '../adapters/apigw/signed-post-messenger.js';
import { RedisTopicReader } from '../adapters/redis/redis-topic-reader.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { SqsWavePartQueue } from '../adapters/sqs/sqs-wave-part-queue.js';
import { type Environment, readEnvironment, required } from '../config.js';
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
  return {
    deps: {
      registry: realtime.registry,
      topics: new RedisTopicReader(realtime.redis),
      messenger,
      metrics,
      logger,
      concurrency: env.FANOUT_CONCURRENCY,
      leaseWaitMs: FANOUT_LEASE_WAIT_MS,
      ...(sqs && env.FANOUT_QUEUE_URL
        ? { parts: { queue: new SqsWavePartQueue(sqs, env.FANOUT_QUEUE_URL), size: env.FANOUT_PART_SIZE } }
        : {}),
    },
    close: async () => {
      await messenger.destroy();
      sqs?.destroy();
      await realtime.close();
    },
  };
}
