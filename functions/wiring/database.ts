import { z } from 'zod';
import { ensureApplicationUser } from '../adapters/postgres/application-user.js';
import { createPostgresClient } from '../adapters/postgres/client.js';
import {
  type DatabaseEnvironment,
  readDatabaseEnvironment,
  requireDatabaseUrl,
  resolveApplicationUser,
} from '../adapters/postgres/database-url.js';
import { loadMigrations, type MigrationReport, migrate } from '../adapters/postgres/migrations.js';
import { PostgresEventSink } from '../adapters/postgres/postgres-event-sink.js';
import { type WaitOptions, waitForDatabase } from '../adapters/postgres/wait-for-database.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { SqsNotificationPublisher } from '../adapters/sqs/sqs-notification-publisher.js';
import type { EventSink } from '../ports/event-sink.js';
import type { NotificationPublisher } from '../ports/notifications.js';

/**
 * The writer's PostgreSQL. One invocation at a time per environment, so one connection is enough
 * (RDS Proxy multiplexes the environments).
 */
export async function composeEventSink(
  env: DatabaseEnvironment = readDatabaseEnvironment(),
): Promise<{ sink: EventSink; close: () => Promise<void> }> {
  const sql = createPostgresClient({ url: await requireDatabaseUrl(env), max: 1, name: 'live-sale-writer' });
  return { sink: new PostgresEventSink(sql), close: () => sql.end({ timeout: 5 }) };
}

/**
 * The writer's way to the push (docs/notifications.md): the fanout queue, when FANOUT_QUEUE_URL is
 * set. The writer reads no other configuration than the database's, so only these are read here.
 */
export function composeNotificationPublisher(
  env: NodeJS.ProcessEnv = process.env,
): { publisher: NotificationPublisher; close: () => void } | undefined {
  const parsed = z
    .object({
      FANOUT_QUEUE_URL: z.string().url().optional(),
      SQS_ENDPOINT: z.string().url().optional(),
      AWS_REGION: z.string().default('us-east-1'),
    })
    .parse(env);
  if (!parsed.FANOUT_QUEUE_URL) return undefined;
  const sqs = createSqsClient(parsed);
  return {
    publisher: new SqsNotificationPublisher(sqs, parsed.FANOUT_QUEUE_URL),
    close: () => sqs.destroy(),
  };
}

/** The migrate function's steps, on one connection as the schema owner, in the order it runs them. */
export interface ComposedMigration {
  /** Waits out network-level connect failures; resolves with the number of attempts. */
  waitForDatabase(options: WaitOptions): Promise<number>;
  /** Applies the SQL files of `migrations/` (beside the bundle, or MIGRATIONS_DIR) not applied yet. */
  migrate(): Promise<MigrationReport>;
  /** Creates the application user (APP_DATABASE_SECRET_ARN) or sets its password again; its name. */
  ensureApplicationUser(): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function composeMigration(
  env: DatabaseEnvironment = readDatabaseEnvironment(),
): Promise<ComposedMigration> {
  const url = await requireDatabaseUrl(env);
  const sql = createPostgresClient({ url, max: 1, name: 'live-sale-migrate' });
  return {
    waitForDatabase: (options) => waitForDatabase(sql, options),
    migrate: () => migrate(sql, loadMigrations()),
    ensureApplicationUser: async () => {
      const user = await resolveApplicationUser(env);
      if (user) await ensureApplicationUser(sql, user);
      return user?.username;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
