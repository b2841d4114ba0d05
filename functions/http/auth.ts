import type { MiddlewareHandler } from 'hono';
import { verify } from 'hono/jwt';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.js';

export interface AuthenticatedUser {
  id: string;
  isAdmin: boolean;
}

export type AuthEnv = { Variables: { user: AuthenticatedUser } };

/** User ids end up in Redis key names and logs: printable, no whitespace, bounded. */
const USER_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * Verifies an HS256 bearer token (signature, `exp`, `nbf`) and returns the user it names.
 * Any failure is a 401: clients need not know which check failed.
 */
export async function authenticate(
  authorization: string | undefined,
  secret: string,
): Promise<AuthenticatedUser> {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization?.trim() ?? '');
  if (!match?.[1]) throw new UnauthorizedError('missing bearer token');
  let claims: Record<string, unknown>;
  try {
    claims = await verify(match[1], secret, 'HS256');
  } catch {
    throw new UnauthorizedError('invalid or expired token');
  }
  const sub = claims.sub;
  if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub)) {
    throw new UnauthorizedError('token has no valid sub claim');
  }
  return { id: sub, isAdmin: claims.role === 'admin' };
}

export const requireUser =
  (secret: string): MiddlewareHandler<AuthEnv> =>
  async (c, next) => {
    c.set('user', await authenticate(c.req.header('authorization'), secret));
    await next();
  };

export const requireAdmin =
  (secret: string): MiddlewareHandler<AuthEnv> =>
  async (c, next) => {
    const user = await authenticate(c.req.header('authorization'), secret);
    if (!user.isAdmin) throw new ForbiddenError();
    c.set('user', user);
    await next();
  };
