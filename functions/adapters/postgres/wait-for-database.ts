import type { Sql } from './client.js';

export interface WaitOptions {
  /** Give up after this long (the migrate function's timeout leaves room for the migrations). */
  timeoutMs: number;
  /** Pause between attempts. */
  intervalMs: number;
  onRetry?: (attempt: number, error: unknown) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Network-level failures that pass once the path exists: on a first deploy the migrate function
 * may run while its security-group rules, the RDS Proxy's targets or DNS are still settling.
 * Errors the server answers with (a wrong password, an unknown database) are final.
 */
const TRANSIENT = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  // cannot_connect_now: the server is starting or shutting down.
  '57P03',
]);

export function isTransientConnectError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT.has(code);
}

/** Resolves once `select 1` answers; retries transient connect failures until `timeoutMs`. */
export async function waitForDatabase(sql: Sql, options: WaitOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await sql`select 1`;
      return attempt;
    } catch (error) {
      if (!isTransientConnectError(error) || now() + options.intervalMs > deadline) {
        throw new Error(`PostgreSQL not reachable after ${attempt} attempt(s): ${(error as Error).message}`, {
          cause: error,
        });
      }
      options.onRetry?.(attempt, error);
      await sleep(options.intervalMs);
    }
  }
}
