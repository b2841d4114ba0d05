import { createPostgresClient, type Sql } from '../adapters/postgres/client.js';
import { resolveDatabaseUrl } from '../adapters/postgres/database-url.js';
import { PostgresAuctionArchive, PostgresProductArchive } from '../adapters/postgres/postgres-archives.js';
import { OutboxIndex } from '../adapters/redis/outbox-index.js';
import { RedisAuctionLifecycle } from '../adapters/redis/redis-auction-lifecycle.js';
import { createRedisFromEnvironment } from '../adapters/redis/redis-from-environment.js';
import { RedisOutboxes } from '../adapters/redis/redis-outboxes.js';
import { PersistQueueProbe } from '../adapters/sqs/persist-queue-probe.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { SqsEventPublisher } from '../adapters/sqs/sqs-event-publisher.js';
import { type Environment, readEnvironment, required } from '../config.js';
import type { LogSink } from '../ports/logger.js';
import { DEFAULT_RESEND_SETTINGS } from '../use-cases/resend-outbox.js';
import type { SweeperDeps } from './job.js';

export interface ComposedSweeper {
  deps: SweeperDeps;
  close: () => Promise<void>;
}

/** The composition root of the sweeper: clients once per cold start. PostgreSQL is optional. */
export async function composeSweeper(
  logger: LogSink,
  env: Environment = readEnvironment(),
  overrides: Partial<Pick<SweeperDeps, 'resend'>> = {},
): Promise<ComposedSweeper> {
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
  let recovery: SweeperDeps['auctions']['recovery'];
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
  const deps: SweeperDeps = {
    redis,
    publisher,
    logger,
    outboxes: new RedisOutboxes(redis, outboxIndex),
    auctions: { closer: lifecycle, ...(recovery ? { recovery } : {}) },
    resend: overrides.resend ?? DEFAULT_RESEND_SETTINGS,
    ...(productArchive ? { productArchive } : {}),
  };
  return {
    deps,
    close: async () => {
      sqs.destroy();
      await sql?.end({ timeout: 5 });
      await redis.quit().catch(() => undefined);
    },
  };
}
