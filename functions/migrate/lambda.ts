import { logger } from '../observability.js';
import { composeMigrate } from './compose.js';

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
  const database = await composeMigrate();
  try {
    const attempts = await database.waitForDatabase({
      ...CONNECT_WAIT,
      onRetry: (attempt, error) =>
        logger.warn('migrate: database not reachable yet, retrying', { attempt, error: String(error) }),
    });
    const report = await database.migrate();
    const applicationUser = await database.ensureApplicationUser();
    logger.info('migrations done', { ...report, connectAttempts: attempts, applicationUser });
    return { ...report, applicationUser: applicationUser ?? null };
  } finally {
    await database.close();
  }
};
