import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../domain/errors.js';
import { authenticate } from './auth.js';

const secret = 'unit-test-secret-0123456789';
const now = () => Math.floor(Date.now() / 1000);

describe('authenticate', () => {
  it('accepts a valid HS256 token and reads sub and role', async () => {
    const token = await sign({ sub: 'u1', role: 'admin', exp: now() + 60 }, secret, 'HS256');
    expect(await authenticate(`Bearer ${token}`, secret)).toEqual({ id: 'u1', isAdmin: true });
  });

  it.each([
    ['no header', undefined],
    ['not bearer', 'Basic abc'],
    ['garbage', 'Bearer not-a-token'],
  ])('refuses %s', async (_name, header) => {
    await expect(authenticate(header, secret)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses expired tokens, wrong secrets, other algorithms and tokens without sub', async () => {
    const expired = await sign({ sub: 'u1', exp: now() - 10 }, secret, 'HS256');
    const wrongSecret = await sign({ sub: 'u1', exp: now() + 60 }, 'another-secret-0123456789', 'HS256');
    const hs512 = await sign({ sub: 'u1', exp: now() + 60 }, secret, 'HS512');
    const noSub = await sign({ exp: now() + 60 }, secret, 'HS256');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"u1"}').toString('base64url')}.`;
    for (const token of [expired, wrongSecret, hs512, noSub, unsigned]) {
      await expect(authenticate(`Bearer ${token}`, secret)).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });
});

describe('verified-token cache', () => {
  it('still refuses a token once it expires, and a cached token under another secret', async () => {
    const token = await sign({ sub: 'u-cache', exp: now() + 1 }, secret, 'HS256');
    expect(await authenticate(`Bearer ${token}`, secret)).toEqual({ id: 'u-cache', isAdmin: false });
    await expect(authenticate(`Bearer ${token}`, 'other-secret-0123456789')).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(authenticate(`Bearer ${token}`, secret)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
