import postgres from 'postgres';
import { createPostgresClient } from '../../functions/adapters/postgres/client.js';
import { migrate } from '../../functions/adapters/postgres/migrations.js';

/**
 * The PostgreSQL server to create test databases on when nothing else is said: TEST_DATABASE_URL
 * (or its older name TEST_DATABASE_ADMIN_URL), else the machine's (127.0.0.1:5432, trust auth). The
 * test setup (test/global-setup.ts) falls back to an embedded PostgreSQL when it does not answer and
 * provides the one it uses as `databaseAdminUrl`.
 */
export function defaultAdminDatabaseUrl(): string {
  return (
    process.env.TEST_DATABASE_URL ||
    process.env.TEST_DATABASE_ADMIN_URL ||
    'postgres://postgres@127.0.0.1:5432/postgres'
  );
}

export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

/**
 * A fresh database `live_sale_test_<random>` with the migrations applied, dropped by `drop()`, so runs
 * (and engineers running tests at the same time) never see each other's rows.
 */
export async function createTestDatabase(
  prefix = 'live_sale_test',
  adminUrl = defaultAdminDatabaseUrl(),
): Promise<TestDatabase> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end();
    throw new Error(
      `PostgreSQL is not usable at ${adminUrl} (${(error as Error).message}): cannot create a test database`,
    );
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = createPostgresClient({ url: url.toString(), max: 1 });
  try {
    await migrate(sql);
  } finally {
    await sql.end();
  }
  return {
    url: url.toString(),
    drop: async () => {
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
