import { ensureApplicationUser } from '../adapters/postgres/application-user.js';
import { createPostgresClient } from '../adapters/postgres/client.js';
import {
  readDatabaseEnvironment,
  requireDatabaseUrl,
  resolveApplicationUser,
} from '../adapters/postgres/database-url.js';
import { loadMigrations, migrate } from '../adapters/postgres/migrations.js';
import { waitForDatabase } from '../adapters/postgres/wait-for-database.js';
import { logger } from '../observability.js';

/**
 * How long the first connect may keep failing at the network level: on a first deploy the trigger
 * can run while the security-group rules and the proxy's targets settle. Well inside the function's
 * timeout (lib/config/functions.ts), which the migrations need too.
 */
const CONNECT_WAIT = { timeoutMs: 120_000, intervalMs: 5_000 };

/**
 * Run by a CDK Trigger at deploy time, as the schema owner. The SQL files are read from
 * `migrations/` beside the bundle (the stack copies functions/adapters/postgres/migrations/*.sql
 * there) or MIGRATIONS_DIR. Then the application user (APP_DATABASE_SECRET_ARN) is created or its
 * password set again, with data rights only. A failure throws, which fails the deployment.
 */
export const handler = async () => {
  const env = readDatabaseEnvironment();
  const url = await requireDatabaseUrl(env);
  const sql = createPostgresClient({ url, max: 1, name: 'live-sale-migrate' });
  try {
    const attempts = await waitForDatabase(sql, {
      ...CONNECT_WAIT,
      onRetry: (attempt, error) =>
        logger.warn('migrate: database not reachable yet, retrying', { attempt, error: String(error) }),
    });
    const report = await migrate(sql, loadMigrations());
    const user = await resolveApplicationUser(env);
    if (user) await ensureApplicationUser(sql, user);
    logger.info('migrations done', { ...report, connectAttempts: attempts, applicationUser: user?.username });
    return { ...report, applicationUser: user?.username ?? null };
  } finally {
    await sql.end({ timeout: 5 });
  }
};
