import { z } from 'zod';
import { ConfigurationError, type Environment, resolveSecret } from '../../config.js';

/**
 * The database part of the configuration. The writer and migrate functions use no Redis, so they read
 * only this (functions/config.ts requires REDIS_URL).
 */
const databaseSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_SECRET_ARN: z.string().min(1).optional(),
  DATABASE_HOST: z.string().min(1).optional(),
  /** migrate only: the application user's secret, to create that user (application-user.ts). */
  APP_DATABASE_SECRET_ARN: z.string().min(1).optional(),
  AWS_REGION: z.string().default('us-east-1'),
});

export type DatabaseEnvironment = z.infer<typeof databaseSchema>;

export function readDatabaseEnvironment(env: NodeJS.ProcessEnv = process.env): DatabaseEnvironment {
  const parsed = databaseSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * The PostgreSQL URL: DATABASE_URL directly (local, tests), or built from the RDS-generated secret
 * (DATABASE_SECRET_ARN: JSON with username, password, port, dbname) and DATABASE_HOST (the RDS Proxy
 * endpoint), with verified TLS. Undefined when neither is configured.
 */
export async function resolveDatabaseUrl(env: DatabaseEnvironment): Promise<string | undefined> {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.DATABASE_SECRET_ARN) return undefined;
  // resolveSecret reads only the two names it is given and AWS_REGION.
  const raw = await resolveSecret(env as Environment, 'DATABASE_URL', 'DATABASE_SECRET_ARN');
  return databaseUrlFromSecret(JSON.parse(raw) as Record<string, unknown>, env.DATABASE_HOST);
}

/**
 * The URL for the RDS-generated secret, through the RDS Proxy endpoint when `host` is given:
 * `sslmode=verify-full` (postgres.js then verifies the chain and the host name; `require` would
 * accept any certificate, so anyone on the path could pose as the database). The RDS Proxy serves an
 * ACM certificate for its endpoint, which chains to the Amazon Root CAs of the trust store Node.js
 * ships (no RDS CA bundle needed; see docs/DEPLOY.md, "TLS to PostgreSQL"). No named prepared
 * statements (`prepare=false`, read by postgres.js): RDS Proxy pins
 * a client session to one database connection once it prepares a named statement, which would undo
 * the pooling the proxy is there for (Lambda instances come and go by the hundred).
 */
export function databaseUrlFromSecret(secret: Record<string, unknown>, proxyHost?: string): string {
  const host = proxyHost ?? secret.host;
  if (
    typeof host !== 'string' ||
    typeof secret.username !== 'string' ||
    typeof secret.password !== 'string'
  ) {
    throw new ConfigurationError(
      'the database secret needs username and password, and DATABASE_HOST or host',
    );
  }
  const url = new URL('postgres://placeholder');
  url.hostname = host;
  url.port = String(secret.port ?? 5432);
  url.username = encodeURIComponent(secret.username);
  url.password = encodeURIComponent(secret.password);
  url.pathname = `/${typeof secret.dbname === 'string' ? secret.dbname : 'postgres'}`;
  url.searchParams.set('sslmode', 'verify-full');
  url.searchParams.set('prepare', 'false');
  return url.toString();
}

/** The application user's credentials from APP_DATABASE_SECRET_ARN (migrate), if configured. */
export async function resolveApplicationUser(
  env: DatabaseEnvironment,
): Promise<{ username: string; password: string } | undefined> {
  if (!env.APP_DATABASE_SECRET_ARN) return undefined;
  const raw = await resolveSecret(env as Environment, null, 'APP_DATABASE_SECRET_ARN');
  const secret = JSON.parse(raw) as Record<string, unknown>;
  if (typeof secret.username !== 'string' || typeof secret.password !== 'string') {
    throw new ConfigurationError('the application database secret needs username and password');
  }
  return { username: secret.username, password: secret.password };
}

/** As resolveDatabaseUrl, but a function that cannot work without a database fails loudly. */
export async function requireDatabaseUrl(env: DatabaseEnvironment): Promise<string> {
  const url = await resolveDatabaseUrl(env);
  if (!url)
    throw new ConfigurationError('missing configuration: DATABASE_URL or DATABASE_SECRET_ARN must be set');
  return url;
}
