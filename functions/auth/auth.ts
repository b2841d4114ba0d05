import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
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
 * Clock skew allowed between the token issuer and this function, for `exp`, `nbf` and `iat`
 * (seconds): a token issued by a server whose clock is a little ahead must not be refused.
 */
export const JWT_LEEWAY_SECONDS = 30;

/** RFC 7235: the scheme is case-insensitive (`Bearer`, `bearer`, `BEARER`), then one or more spaces. */
const BEARER = /^bearer +([A-Za-z0-9_.-]+)$/i;

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeJsonPart(part: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new Error('not base64url');
  const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

/**
 * The signature and header checks of hono/jwt's `verify(token, secret, 'HS256')` (which this
 * replaced: same header rules, `alg` exactly HS256, `typ` absent or JWT, no `crit`), with a
 * synchronous HMAC from node:crypto. hono's goes through WebCrypto: an async job on the libuv
 * thread pool and an imported key per call, ~170 us of CPU here against ~16 us; and every user's
 * first request on every function instance pays it (issue 23, a flash sale's first seconds).
 * Time claims are checked by the caller. Throws on any failure.
 */
export function verifyHs256(token: string, secret: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWS compact token');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonPart(headerPart);
  const typ = header.typ;
  const typOk =
    typ === undefined ||
    (typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'jwt');
  if (header.alg !== 'HS256' || !typOk || 'crit' in header) throw new Error('header refused');
  if (!BASE64URL.test(signaturePart)) throw new Error('signature not base64url');
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad signature');
  return decodeJsonPart(payloadPart);
}

/** The claim that makes a user an admin (API.md v1.2: `JWT_ADMIN_CLAIM` / `JWT_ADMIN_VALUE`). */
export interface AdminMapping {
  claim: string;
  value: string;
}

export const DEFAULT_ADMIN_MAPPING: AdminMapping = { claim: 'role', value: 'admin' };

/** A claim holding a list (Cognito's `cognito:groups`) grants it when the list contains the value. */
export function isAdminBy(claims: Record<string, unknown>, mapping: AdminMapping): boolean {
  const granted = Object.hasOwn(claims, mapping.claim) ? claims[mapping.claim] : undefined;
  return Array.isArray(granted) ? granted.includes(mapping.value) : granted === mapping.value;
}

/** The bearer token of an Authorization header; 401 without one. */
export function bearerToken(authorization: string | undefined): string {
  const token = BEARER.exec(authorization?.trim() ?? '')?.[1];
  if (!token) throw new UnauthorizedError('missing bearer token');
  return token;
}

/**
 * The checks every verified token passes, whichever its algorithm: `exp` required, `exp`, `nbf`,
 * `iat` within JWT_LEEWAY_SECONDS of this clock, a usable `sub`. Throws 401.
 */
export function userFromClaims(
  claims: Record<string, unknown>,
  nowMs: number,
  admin: AdminMapping,
): AuthenticatedUser {
  const now = nowMs / 1000;
  const { exp, nbf, iat } = claims;
  // A token without `exp` would never expire: refused (API.md: `exp` is honoured).
  if (!isTime(exp)) throw new UnauthorizedError('token has no exp claim');
  if (exp + JWT_LEEWAY_SECONDS <= now) throw new UnauthorizedError('invalid or expired token');
  if (nbf !== undefined && (!isTime(nbf) || nbf - JWT_LEEWAY_SECONDS > now)) {
    throw new UnauthorizedError('token not valid yet');
  }
  if (iat !== undefined && (!isTime(iat) || iat - JWT_LEEWAY_SECONDS > now)) {
    throw new UnauthorizedError('token issued in the future');
  }
  const sub = claims.sub;
  if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub)) {
    throw new UnauthorizedError('token has no valid sub claim');
  }
  return { id: sub, isAdmin: isAdminBy(claims, admin) };
}

/**
 * Verifies an HS256 bearer token (signature; `exp` required; `exp`, `nbf`, `iat` within
 * JWT_LEEWAY_SECONDS of this clock) and returns the user it names.
 * Any failure is a 401: clients need not know which check failed.
 */
export async function authenticate(
  authorization: string | undefined,
  secret: string,
  nowMs: () => number = Date.now,
): Promise<AuthenticatedUser> {
  const token = bearerToken(authorization);
  const cacheKey = `${secret} ${token}`;
  const cached = verified.get(cacheKey);
  if (cached && cached.validUntil > nowMs()) return cached.user;
  let claims: Record<string, unknown>;
  try {
    // The time claims are checked below, with a leeway.
    claims = verifyHs256(token, secret);
  } catch {
    throw new UnauthorizedError('invalid or expired token');
  }
  const user = userFromClaims(claims, nowMs(), DEFAULT_ADMIN_MAPPING);
  const exp = claims.exp as number;
  if (verified.size >= VERIFIED_CACHE_LIMIT) verified.clear();
  verified.set(cacheKey, {
    user,
    validUntil: Math.min((exp + JWT_LEEWAY_SECONDS) * 1000, nowMs() + VERIFIED_CACHE_MS),
  });
  return user;
}

/**
 * The one verifier of a function instance, for the HTTP API and WebSocket `$connect` alike
 * (token-verifier.ts makes it from configuration). Throws UnauthorizedError (401) for any token
 * not verified, SigningKeysUnavailableError (503) when the issuer's keys cannot be fetched.
 */
export interface TokenVerifier {
  authenticate(authorization: string | undefined): Promise<AuthenticatedUser>;
}

/** HS256 with one shared secret only (local runs, tests). */
export const hs256Verifier = (secret: string): TokenVerifier => ({
  authenticate: (authorization) => authenticate(authorization, secret),
});

export const requireUser =
  (verifier: TokenVerifier): MiddlewareHandler<AuthEnv> =>
  async (c, next) => {
    c.set('user', await verifier.authenticate(c.req.header('authorization')));
    await next();
  };

export const requireAdmin =
  (verifier: TokenVerifier): MiddlewareHandler<AuthEnv> =>
  async (c, next) => {
    const user = await verifier.authenticate(c.req.header('authorization'));
    if (!user.isAdmin) throw new ForbiddenError();
    c.set('user', user);
    await next();
  };
