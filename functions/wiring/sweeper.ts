import { NoProductArchive } from '../adapters/no-product-archive.js';
import { createPostgresClient, type Sql } from '../adapters/postgres/client.js';
import { resolveDatabaseUrl } from '../adapters/postgres/database-url.js';
import { PostgresAuctionArchive, PostgresProductArchive } from '../adapters/postgres/postgres-archives.js';
import { PostgresNotifications } from '../adapters/postgres/postgres-notifications.js';
import { OutboxIndex } from '../adapters/redis/outbox-index.js';
import { RedisAuctionLifecycle } from '../adapters/redis/redis-auction-lifecycle.js';
import { createRedisFromEnvironment } from '../adapters/redis/redis-from-environment.js';
import { RedisIdempotencyClaims } from '../adapters/redis/redis-idempotency-claims.js';
import { RedisOutboxes } from '../adapters/redis/redis-outboxes.js';
import { RedisProductStore } from '../adapters/redis/redis-product-store.js';
import { PersistQueueProbe } from '../adapters/sqs/persist-queue-probe.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { SqsEventPublisher } from '../adapters/sqs/sqs-event-publisher.js';
import { type Environment, required } from '../config.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { LogSink } from '../ports/logger.js';
import type { NotificationRetention } from '../ports/notifications.js';
import type { Outboxes } from '../ports/outbox.js';
import type { CloseEndedAuctionsDeps } from '../use-cases/auctions/close-ended-auctions.js';
import type { FlashSaleDeps } from '../use-cases/flash-sales/flash-sale-use-cases.js';

/** The sweeper's adapters, made once per cold start; sweeper/compose.ts hands them to the jobs. */
export interface ComposedSweeperAdapters {
  publisher: EventPublisher;
  outboxes: Outboxes;
  auctions: Pick<CloseEndedAuctionsDeps, 'closer' | 'recovery'>;
  /** The flash-sale dependencies on the sweeper's clients (expiry, age-out). */
  flashSales: FlashSaleDeps;
  notifications?: NotificationRetention;
  close: () => Promise<void>;
}

/** Redis, SQS and, when configured, PostgreSQL. PostgreSQL is optional. */
export async function composeSweeperAdapters(
  logger: LogSink,
  env: Environment,
): Promise<ComposedSweeperAdapters> {
  const redis = await createRedisFromEnvironment(env);
  const sqs = createSqsClient(env);
  const persistQueueUrl = required(env, 'PERSIST_QUEUE_URL');
  const publisher = new SqsEventPublisher(sqs, {
    persistQueueUrl,
    fanoutQueueUrl: required(env, 'FANOUT_QUEUE_URL'),
  });
  const outboxIndex = new OutboxIndex(redis);
  const lifecycle = new RedisAuctionLifecycle(redis, outboxIndex);
  const databaseUrl = await resolveDatabaseUrl(env);
  let sql: Sql | undefined;
  let recovery: ComposedSweeperAdapters['auctions']['recovery'];
  let productArchive: PostgresProductArchive | undefined;
  if (databaseUrl) {
    sql = createPostgresClient({ url: databaseUrl, max: 2, name: 'live-sale-sweeper' });
    const probe = new PersistQueueProbe(sqs, {
      persistQueueUrl,
      persistDlqUrl: env.PERSIST_DLQ_URL,
      settleMs: env.RECOVERY_SETTLE_MS,
      onError: (error) => logger.error('recovery settle check failed', { error: String(error) }),
    });
    recovery = { archive: new PostgresAuctionArchive(sql, probe), recovery: lifecycle };
    productArchive = new PostgresProductArchive(sql, probe);
  }
  return {
    publisher,
    outboxes: new RedisOutboxes(redis, outboxIndex),
    auctions: { closer: lifecycle, ...(recovery ? { recovery } : {}) },
    // Without a database no product can be rebuilt.
    ...(sql ? { notifications: new PostgresNotifications(sql) } : {}),
    flashSales: {
      products: new RedisProductStore(redis),
      archive: productArchive ?? new NoProductArchive(),
      publisher,
      claims: new RedisIdempotencyClaims(redis),
      logger,
    },
    close: async () => {
      sqs.destroy();
      await sql?.end({ timeout: 5 });
      await redis.quit().catch(() => undefined);
    },
  };
}
