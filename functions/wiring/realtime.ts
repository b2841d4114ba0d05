import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import {
  createManagementApiClient,
  ManagementApiMessenger,
} from '../adapters/apigw/management-api-messenger.js';
import { SignedPostMessenger, WAVE_POST_POLICY } from '../adapters/apigw/signed-post-messenger.js';
import { EventsPublisher } from '../adapters/appsync/events-publisher.js';
import { createPostgresClient } from '../adapters/postgres/client.js';
import { resolveDatabaseUrl } from '../adapters/postgres/database-url.js';
import { PostgresNotifications } from '../adapters/postgres/postgres-notifications.js';
import type { RedisClient } from '../adapters/redis/client.js';
import { RedisConnectionRegistry } from '../adapters/redis/connection-registry.js';
import { RedisAuctionStore } from '../adapters/redis/redis-auction-store.js';
import { RedisBroadcastLedger } from '../adapters/redis/redis-broadcast-ledger.js';
import { RedisConnectionLimits } from '../adapters/redis/redis-connection-limits.js';
import { RedisConnectionUsers } from '../adapters/redis/redis-connection-users.js';
import { createRedisFromEnvironment } from '../adapters/redis/redis-from-environment.js';
import { RedisProductStore } from '../adapters/redis/redis-product-store.js';
import { RedisTopicReader } from '../adapters/redis/redis-topic-reader.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { SqsWavePartQueue } from '../adapters/sqs/sqs-wave-part-queue.js';
import { broadcastFromEnvironment, type Environment, required } from '../config.js';
import type { ConnectionUsers } from '../ports/connection-users.js';
import type { LogSink } from '../ports/logger.js';
import type { NotificationDeriver, NotificationReader } from '../ports/notifications.js';
import type { BroadcastInfo } from '../realtime/broadcast.js';
import type { ConnectionLimits, TopicReader, WavePartQueue } from '../realtime/ports.js';
import { recoveringTopicReader } from '../realtime/use-cases/recover-topic.js';
import type { AuctionEventLog } from '../use-cases/notifications/notify-from-log.js';
import { composeArchives } from './archives.js';

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

/** What the ws function adds to the shared real-time adapters: recovering topic reads and limits. */
export interface ComposedWsAdapters {
  realtime: ComposedRealtime;
  topics: TopicReader;
  limits: ConnectionLimits;
  /** `me`: who opened each connection, and the notifications (absent without a database). */
  me?: { users: ConnectionUsers; notifications: NotificationReader };
  /** The broadcast tier (EVENTS_*): where channels are read, and topic modes in Redis. */
  broadcast?: { info: BroadcastInfo; modes: RedisBroadcastLedger };
  close: () => Promise<void>;
}

export async function composeWsAdapters(logger: LogSink, env: Environment): Promise<ComposedWsAdapters> {
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
    realtime,
    topics,
    ...(archives.notifications
      ? { me: { users: new RedisConnectionUsers(realtime.redis), notifications: archives.notifications } }
      : {}),
    limits: new RedisConnectionLimits(realtime.redis, {
      connectionsPerSource: env.WS_CONNECTIONS_PER_IP,
      messages: { max: env.WS_MESSAGE_RATE_LIMIT, windowMs: env.WS_MESSAGE_RATE_WINDOW_MS },
    }),
    ...broadcastModes(realtime.redis, env),
    close: async () => {
      sqs.destroy();
      await archives.close();
      await realtime.close();
    },
  };
}

function broadcastModes(redis: RedisClient, env: Environment): Pick<ComposedWsAdapters, 'broadcast'> {
  const info = broadcastFromEnvironment(env);
  return info ? { broadcast: { info, modes: new RedisBroadcastLedger(redis) } } : {};
}

/** What the fan-out function adds: the lean signed posts of its waves and the queue of wave parts. */
export interface ComposedFanOutAdapters {
  realtime: ComposedRealtime;
  topics: TopicReader;
  messenger: SignedPostMessenger;
  /** Absent without FANOUT_QUEUE_URL: waves are then never split. */
  partQueue?: WavePartQueue;
  /**
   * The fast path of personal notifications (docs/notifications.md): PostgreSQL for the cursors and
   * the list, the auctions' event logs in Redis; absent without a database.
   */
  notifications?: { deriver: NotificationDeriver; log: AuctionEventLog };
  /**
   * The broadcast tier (EVENTS_* and EVENTS_HTTP_URL): the HTTP publisher, the publish ledger and
   * topic modes (one Redis adapter), and where channels are read (for `delivery.changed`).
   */
  broadcast?: { info: BroadcastInfo; ledger: RedisBroadcastLedger; publisher: EventsPublisher };
  close: () => Promise<void>;
}

export async function composeFanOutAdapters(
  logger: LogSink,
  env: Environment,
): Promise<ComposedFanOutAdapters> {
  const realtime = await composeRealtime(logger, env, { maxSockets: 1 });
  // Waves post through the lean signed path (one keep-alive request per receiver, the payload hashed
  // once per wave); the SDK client lends it its credential provider chain. docs/realtime.md.
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
  const databaseUrl = await resolveDatabaseUrl(env);
  const sql = databaseUrl
    ? createPostgresClient({ url: databaseUrl, max: 1, name: 'live-sale-fanout' })
    : undefined;
  // The broadcast tier: one publish per topic update (rate-capped) to its channel, signed with the
  // credentials of the waves (the fan-out's role is the only one allowed to publish).
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
  return {
    realtime,
    topics: new RedisTopicReader(realtime.redis),
    messenger,
    ...(sql
      ? {
          notifications: {
            deriver: new PostgresNotifications(sql),
            log: new RedisAuctionStore(realtime.redis),
          },
        }
      : {}),
    ...(sqs && env.FANOUT_QUEUE_URL ? { partQueue: new SqsWavePartQueue(sqs, env.FANOUT_QUEUE_URL) } : {}),
    ...(info && publisher
      ? { broadcast: { info, ledger: new RedisBroadcastLedger(realtime.redis), publisher } }
      : {}),
    close: async () => {
      await messenger.destroy();
      await publisher?.destroy();
      sqs?.destroy();
      await sql?.end({ timeout: 5 });
      await realtime.close();
    },
  };
}
