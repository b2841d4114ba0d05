import { createPostgresClient } from '../adapters/postgres/client.js';
import { readDatabaseEnvironment, requireDatabaseUrl } from '../adapters/postgres/database-url.js';
import { loadMigrations, migrate } from '../adapters/postgres/migrations.js';
import { logger } from '../observability.js';

/**
 * Run by a CDK Trigger at deploy time. The SQL files are read from `migrations/` beside the bundle
 * (the stack copies functions/adapters/postgres/migrations/*.sql there) or MIGRATIONS_DIR. A failure
 * throws, which fails the deployment.
 */
export const handler = async () => {
  const url = await requireDatabaseUrl(readDatabaseEnvironment());
  const sql = createPostgresClient({ url, max: 1, name: 'live-sale-migrate' });
  try {
    const report = await migrate(sql, loadMigrations());
    logger.info('migrations done', { ...report });
    return report;
  } finally {
    await sql.end({ timeout: 5 });
  }
};
