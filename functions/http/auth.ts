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
 * Tokens already verified, until their `exp` (at most a minute): a bidder sends the same token many
 * times a second, and an HMAC check per request is a tenth of the bid path's CPU. Keyed by the whole
 * token and the secret, so a forged or altered token never matches an entry.
 */
const VERIFIED_CACHE_LIMIT = 10_000;
const VERIFIED_CACHE_MS = 60_000;
const verified = new Map<string, { user: AuthenticatedUser; validUntil: number }>();

/**
 * Verifies an HS256 bearer token (signature, `exp`, `nbf`) and returns the user it names.
 * Any failure is a 401: clients need not know which check failed.
 */
export async function authenticate(
  authorization: string | undefined,
  secret: string,
): Promise<AuthenticatedUser> {
  const token = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization?.trim() ?? '')?.[1];
  if (!token) throw new UnauthorizedError('missing bearer token');
  const cacheKey = `${secret} ${token}`;
  const cached = verified.get(cacheKey);
  if (cached && cached.validUntil > Date.now()) return cached.user;
  let claims: Record<string, unknown>;
  try {
    claims = await verify(token, secret, 'HS256');
  } catch {
    throw new UnauthorizedError('invalid or expired token');
  }
  const sub = claims.sub;
  if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub)) {
    throw new UnauthorizedError('token has no valid sub claim');
  }
  const user = { id: sub, isAdmin: claims.role === 'admin' };
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
  if (verified.size >= VERIFIED_CACHE_LIMIT) verified.clear();
  verified.set(cacheKey, { user, validUntil: Math.min(expiresAt, Date.now() + VERIFIED_CACHE_MS) });
  return user;
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
