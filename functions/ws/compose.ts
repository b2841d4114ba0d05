import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import {
  createManagementApiClient,
  ManagementApiMessenger,
} from '../adapters/apigw/management-api-messenger.js';
import { composeArchives } from '../adapters/postgres/compose-archives.js';
import type { RedisClient } from '../adapters/redis/client.js';
import { RedisConnectionRegistry } from '../adapters/redis/connection-registry.js';
import { RedisConnectionLimits } from '../adapters/redis/redis-connection-limits.js';
import { createRedisFromEnvironment } from '../adapters/redis/redis-from-environment.js';
import { RedisProductStore } from '../adapters/redis/redis-product-store.js';
import { RedisTopicReader } from '../adapters/redis/redis-topic-reader.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { createTokenVerifierFromEnvironment } from '../auth/token-verifier.js';
import { type Environment, readEnvironment, required } from '../config.js';
import type { LogSink } from '../ports/logger.js';
import { recoveringTopicReader } from '../use-cases/recover-topic.js';
import type { WsDeps } from './handle-event.js';

export interface ComposedRealtime {
  redis: RedisClient;
  registry: RedisConnectionRegistry;
  /** PostToConnection through the SDK client: the ws function's one reply per request. */
  messenger: ManagementApiMessenger;
  /** The SDK client, whose provider chain also signs the fan-out's lean posts. */
  client: ApiGatewayManagementApiClient;
  close: () => Promise<void>;
}

/** Redis, the registry and the management API client: what the ws and fan-out functions share. */
export async function composeRealtime(
  logger: LogSink,
  env: Environment,
  options: { maxSockets: number },
): Promise<ComposedRealtime> {
  const redis = await createRedisFromEnvironment(env);
  const client = createManagementApiClient({
    endpoint: required(env, 'WS_MANAGEMENT_ENDPOINT'),
    region: env.AWS_REGION,
    maxSockets: options.maxSockets,
    timeoutMs: env.FANOUT_POST_TIMEOUT_MS,
  });
  const messenger = new ManagementApiMessenger(
    client,
    {
      throttleRetries: 4,
      backoffBaseMs: 50,
      backoffMaxMs: 1_000,
    },
    (connectionId, error) =>
      logger.warn('PostToConnection failed', {
        connectionId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
  );
  return {
    redis,
    registry: new RedisConnectionRegistry(redis),
    messenger,
    client,
    close: async () => {
      client.destroy();
      await redis.quit().catch(() => undefined);
    },
  };
}

/** The composition root of the ws function: adapters are made here, once per cold start. */
export async function composeWs(
  logger: LogSink,
  env: Environment = readEnvironment(),
): Promise<{ deps: WsDeps; close: () => Promise<void> }> {
  const verifier = await createTokenVerifierFromEnvironment(env);
  const realtime = await composeRealtime(logger, env, { maxSockets: 16 });
  // With a database, a subscribe to an entity Redis lost is told the truth (guarantee 5): closed
  // auctions from PostgreSQL, lost live entities `temporarily_unavailable` until rebuilt. Without
  // PERSIST_QUEUE_URL this function only fences; the HTTP function and the sweeper rebuild.
  const sqs = createSqsClient(env);
  const archives = await composeArchives(env, sqs, realtime.redis, logger);
  const topics = recoveringTopicReader(new RedisTopicReader(realtime.redis), {
    auctions: archives.auctions?.recovery,
    products: archives.products
      ? { products: new RedisProductStore(realtime.redis), archive: archives.products }
      : undefined,
  });
  return {
    deps: {
      registry: realtime.registry,
      messenger: realtime.messenger,
      closer: realtime.messenger,
      topics,
      limits: new RedisConnectionLimits(realtime.redis, {
        connectionsPerSource: env.WS_CONNECTIONS_PER_IP,
        messages: { max: env.WS_MESSAGE_RATE_LIMIT, windowMs: env.WS_MESSAGE_RATE_WINDOW_MS },
      }),
      authenticate: (token) => verifier.authenticate(`Bearer ${token}`),
      logger,
    },
    close: async () => {
      sqs.destroy();
      await archives.close();
      await realtime.close();
    },
  };
}
