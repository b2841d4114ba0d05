/**
 * `npm run migrate`: applies the SQL migrations to DATABASE_URL (the local runtime calls `migrate()`
 * itself at start; on AWS the migrate Lambda runs at deploy time).
 */
import { createPostgresClient } from '../functions/adapters/postgres/client.js';
import { loadMigrations, migrate } from '../functions/adapters/postgres/migrations.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL must be set, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres');
  process.exit(2);
}
const sql = createPostgresClient({ url, max: 1, name: 'live-sale-migrate' });
try {
  const report = await migrate(sql, loadMigrations());
  for (const name of report.alreadyApplied) console.log(`  already applied  ${name}`);
  for (const name of report.applied) console.log(`  applied          ${name}`);
  console.log(
    report.applied.length === 0 ? 'schema up to date' : `${report.applied.length} migration(s) applied`,
  );
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
