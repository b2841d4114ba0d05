import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, OutcomeUnknownError } from '../domain/errors.js';
import type { LogSink } from '../ports/logger.js';

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { code, message, ...details } };
}

/**
 * Errors that mean a dependency is unreachable: the client should retry. Nothing was decided: a
 * deciding script's failure arrives as an OutcomeUnknownError instead (adapters/redis/lua-script.ts).
 */
function isDependencyFailure(error: Error): boolean {
  return /ECONNREFUSED|ETIMEDOUT|ECONNRESET|Connection is closed|Command timed out|max retries|ClusterAllFailed|CLUSTERDOWN|TRYAGAIN|LOADING/i.test(
    `${error.name} ${error.message}`,
  );
}

/** The one place where errors become responses. */
export function mapError(error: Error, c: Context, logger: LogSink): Response {
  if (error instanceof AppError) {
    if (error instanceof OutcomeUnknownError) {
      logger.error('decision outcome unknown', { error: error.reason, path: c.req.path });
    }
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(errorBody(error.code, error.message, error.details), error.status as ContentfulStatusCode);
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    return c.json(errorBody(status === 413 ? 'payload_too_large' : 'invalid_request', error.message), status);
  }
  if (isDependencyFailure(error)) {
    logger.error('dependency unavailable', { error: error.message, path: c.req.path });
    c.header('Retry-After', '1');
    return c.json(
      errorBody('service_unavailable', 'a dependency is unavailable and nothing was decided, retry shortly', {
        retryAfterSeconds: 1,
        outcome: 'none',
      }),
      503,
    );
  }
  logger.error('unexpected error', { error: error.message, stack: error.stack, path: c.req.path });
  return c.json(errorBody('internal_error', 'unexpected error'), 500);
}
