import postgres from 'postgres';
import { createPostgresClient } from '../../functions/adapters/postgres/client.js';
import { migrate } from '../../functions/adapters/postgres/migrations.js';

/** The machine's PostgreSQL (trust auth); TEST_DATABASE_ADMIN_URL overrides it. */
export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

/**
 * A fresh database `live_sale_test_<random>` with the migrations applied, dropped by `drop()`, so runs
 * (and engineers running tests at the same time) never see each other's rows.
 */
export async function createTestDatabase(prefix = 'live_sale_test'): Promise<TestDatabase> {
  const admin = postgres(ADMIN_DATABASE_URL, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end();
    throw new Error(
      `PostgreSQL is not usable at ${ADMIN_DATABASE_URL} (${(error as Error).message}). Start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start`,
    );
  }
  const url = new URL(ADMIN_DATABASE_URL);
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
