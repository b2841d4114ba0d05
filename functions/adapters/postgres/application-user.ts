import type { Sql } from './client.js';

/** The user http, writer and sweeper log in as (its secret: APP_DATABASE_SECRET_ARN). */
export interface ApplicationUser {
  username: string;
  password: string;
}

/** Any constant other than the migrations' own: two deploys never create the role at once. */
const APPLICATION_USER_LOCK = 4_711_005;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A string literal for a utility statement (ALTER ROLE takes no bind parameters). */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function identifier(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/**
 * Creates the application user, or sets its password again (the secret is the source of truth),
 * and gives it data rights only: SELECT/INSERT/UPDATE/DELETE on the tables and use of the sequences
 * of `public`, now and for tables later migrations create (default privileges of the migrating
 * user), and nothing on `schema_migrations`. It owns nothing, so it can neither alter nor drop the
 * schema. Run by the migrate function as the schema owner, after the migrations.
 */
export async function ensureApplicationUser(sql: Sql, user: ApplicationUser): Promise<void> {
  if (!IDENTIFIER.test(user.username)) {
    throw new Error(`application user name ${JSON.stringify(user.username)} is not a plain identifier`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (user.password.length < 16 || /[\u0000-\u001f\u007f]/.test(user.password)) {
    throw new Error('the application user password must be 16+ printable characters');
  }
  const role = identifier(user.username);
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${APPLICATION_USER_LOCK})`;
    const [existing] = await tx`SELECT 1 AS found FROM pg_roles WHERE rolname = ${user.username}`;
    if (!existing) await tx.unsafe(`CREATE ROLE ${role} LOGIN`);
    await tx.unsafe(
      `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${literal(user.password)}`,
    );
    const [{ database } = { database: '' }] = await tx<{ database: string }[]>`
      SELECT current_database() AS database`;
    await tx.unsafe(`GRANT CONNECT ON DATABASE ${identifier(database)} TO ${role}`);
    await tx.unsafe(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await tx.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await tx.unsafe(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await tx.unsafe(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
    );
    await tx.unsafe(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${role}`);
    const [migrations] = await tx`SELECT to_regclass('public.schema_migrations') AS name`;
    if (migrations?.name) await tx.unsafe(`REVOKE ALL ON TABLE schema_migrations FROM ${role}`);
  });
}
