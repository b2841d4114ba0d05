import type { SQSClient } from '@aws-sdk/client-sqs';
import { createPostgresClient } from '../adapters/postgres/client.js';
import { resolveDatabaseUrl } from '../adapters/postgres/database-url.js';
import {
  NEVER_SETTLED,
  PostgresAuctionArchive,
  PostgresProductArchive,
} from '../adapters/postgres/postgres-archives.js';
import { PostgresNotifications } from '../adapters/postgres/postgres-notifications.js';
import { PostgresReadModel } from '../adapters/postgres/postgres-read-model.js';
import type { RedisClient } from '../adapters/redis/client.js';
import { OutboxIndex } from '../adapters/redis/outbox-index.js';
import { RedisAuctionLifecycle } from '../adapters/redis/redis-auction-lifecycle.js';
import { PersistQueueProbe } from '../adapters/sqs/persist-queue-probe.js';
import type { Environment } from '../config.js';
import type { LogSink } from '../ports/logger.js';
import type { ProductArchive } from '../ports/product-archive.js';
import type { ReadModel } from '../ports/read-model.js';
import type { AuctionRecoveryDeps } from '../use-cases/auctions/recover-auction.js';

export interface ComposedArchives {
  /** Read-back and rebuild of auctions; absent without a database. */
  auctions?: { recovery: AuctionRecoveryDeps };
  /** The flash-sale side's archive; absent without a database. */
  products?: ProductArchive;
  /** The listings (GET /auctions, /products, /me/...); absent without a database. */
  readModel?: ReadModel;
  /** The notifications (GET /me/notifications, the ws function's `me`); absent without a database. */
  notifications?: PostgresNotifications;
  close: () => Promise<void>;
}

/**
 * The PostgreSQL side of the HTTP and ws functions (shared wiring: neither entry imports the other),
 * optional: without DATABASE_URL / DATABASE_SECRET_ARN the API runs on Redis alone (a missing entity
 * is a 404). With it, evicted closed auctions are read back and lost entities are fenced and rebuilt
 * once the persist queue (and its DLQ) is drained.
 */
export async function composeArchives(
  env: Environment,
  sqs: SQSClient,
  redis: RedisClient,
  logger?: LogSink,
): Promise<ComposedArchives> {
  const url = await resolveDatabaseUrl(env);
  if (!url) return { close: async () => undefined };
  const sql = createPostgresClient({ url, max: 2, name: 'live-sale-http' });
  const settled = env.PERSIST_QUEUE_URL
    ? new PersistQueueProbe(sqs, {
        persistQueueUrl: env.PERSIST_QUEUE_URL,
        persistDlqUrl: env.PERSIST_DLQ_URL,
        settleMs: env.RECOVERY_SETTLE_MS,
        onError: (error) => logger?.error('recovery settle check failed', { error: String(error) }),
      })
    : NEVER_SETTLED;
  return {
    auctions: {
      recovery: {
        archive: new PostgresAuctionArchive(sql, settled),
        recovery: new RedisAuctionLifecycle(redis, new OutboxIndex(redis)),
      },
    },
    products: new PostgresProductArchive(sql, settled),
    readModel: new PostgresReadModel(sql),
    notifications: new PostgresNotifications(sql),
    close: () => sql.end({ timeout: 5 }),
  };
}
