import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './client.js';

export interface Migration {
  /** File name, e.g. `0001_initial.sql`; migrations apply in name order. */
  name: string;
  sql: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

/** Any constant: every runner of every process takes the same advisory lock. */
const MIGRATION_LOCK = 4_711_004;

/**
 * Where the SQL files are: MIGRATIONS_DIR if set; else `migrations/` beside this module, which is the
 * source folder when run with tsx and the bundle folder on Lambda (the CDK bundling copies the .sql
 * files there).
 */
export function migrationsDirectory(): string {
  if (process.env.MIGRATIONS_DIR) return process.env.MIGRATIONS_DIR;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'migrations'),
    join(process.cwd(), 'functions/adapters/postgres/migrations'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`no migrations directory (looked in ${candidates.join(', ')})`);
  return found;
}

export function loadMigrations(directory = migrationsDirectory()): Migration[] {
  return readdirSync(directory)
    .filter((name) => /^\d+_[\w-]+\.sql$/.test(name))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(directory, name), 'utf8') }));
}

const checksum = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Applies the migrations not applied yet, in one transaction under an advisory lock: runners started
 * at the same time (deploy trigger, local runtime, tests) wait for each other, and a failing migration
 * leaves nothing half-applied. A migration that changed after it was applied is an error: migrations
 * are append-only. (A statement that cannot run in a transaction, e.g. CREATE INDEX CONCURRENTLY,
 * does not belong here.)
 */
export async function migrate(
  sql: Sql,
  migrations: Migration[] = loadMigrations(),
): Promise<MigrationReport> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        name       text        PRIMARY KEY,
        checksum   text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    const rows = await tx<{ name: string; checksum: string }[]>`SELECT name, checksum FROM schema_migrations`;
    const done = new Map(rows.map((row) => [row.name, row.checksum]));
    const report: MigrationReport = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const sum = checksum(migration.sql);
      const previous = done.get(migration.name);
      if (previous !== undefined) {
        if (previous !== sum) {
          throw new Error(
            `migration ${migration.name} changed after it was applied; add a new migration instead`,
          );
        }
        report.alreadyApplied.push(migration.name);
        continue;
      }
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (name, checksum) VALUES (${migration.name}, ${sum})`;
      report.applied.push(migration.name);
    }
    return report;
  });
}
