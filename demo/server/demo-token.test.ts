import { verify } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { DEMO_TOKEN_TTL_SECONDS, demoUserName, signDemoToken } from './demo-token.js';

describe('demo tokens', () => {
  it('signs a user token (never admin) with the given secret, valid for the demo TTL', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { token, expiresAt } = await signDemoToken('alice', 'local-secret-0123456789', now);
    const claims = await verify(token, 'local-secret-0123456789', 'HS256');
    expect(claims).toEqual({ sub: 'alice', iat: now, exp: now + DEMO_TOKEN_TTL_SECONDS });
    expect(expiresAt).toBe(new Date((now + DEMO_TOKEN_TTL_SECONDS) * 1000).toISOString());
    await expect(verify(token, 'another-secret-0123456789', 'HS256')).rejects.toThrow();
  });

  it('takes names of the API id alphabet only', () => {
    expect(demoUserName('bob_2-x')).toBe('bob_2-x');
    for (const bad of ['', 'a b', 'x'.repeat(33), 'é', 'a:b', 42, null, undefined])
      expect(demoUserName(bad)).toBeUndefined();
  });
});

describe('seller tokens (the seller view, API.md v1.2)', () => {
  it('carry the admin role only when asked for', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { token } = await signDemoToken('seller-1', 'local-secret-0123456789', now, { admin: true });
    expect(await verify(token, 'local-secret-0123456789', 'HS256')).toEqual({
      sub: 'seller-1',
      iat: now,
      exp: now + DEMO_TOKEN_TTL_SECONDS,
      role: 'admin',
    });
  });
});
