import { sign } from 'hono/jwt';

export const TEST_JWT_SECRET = 'test-secret-with-enough-length-123';

export function tokenFor(
  sub: string,
  options: { admin?: boolean; expiresInSeconds?: number; secret?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(
    {
      sub,
      ...(options.admin ? { role: 'admin' } : {}),
      iat: now,
      exp: now + (options.expiresInSeconds ?? 3600),
    },
    options.secret ?? TEST_JWT_SECRET,
    'HS256',
  );
}
