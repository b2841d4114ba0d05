import { sign } from 'hono/jwt';

/** Demo user names: the API's id alphabet, short enough for a page header. */
const USER_NAME = /^[A-Za-z0-9_-]{1,32}$/;
export const DEMO_TOKEN_TTL_SECONDS = 12 * 3600;

/** The name as a user id, or undefined when it is not a valid demo user name. */
export function demoUserName(raw: unknown): string | undefined {
  return typeof raw === 'string' && USER_NAME.test(raw) ? raw : undefined;
}

/**
 * A user token signed with the local runtime's JWT_SECRET, as an identity provider would issue one;
 * the admin role only for a seller's session (the seller view). Only the local demo server does
 * this: nothing of demo/ is deployed.
 */
export async function signDemoToken(
  user: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  options: { admin?: boolean } = {},
): Promise<{ token: string; expiresAt: string }> {
  const exp = nowSeconds + DEMO_TOKEN_TTL_SECONDS;
  const token = await sign(
    { sub: user, iat: nowSeconds, exp, ...(options.admin ? { role: 'admin' } : {}) },
    secret,
    'HS256',
  );
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}
