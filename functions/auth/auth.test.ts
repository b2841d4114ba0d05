import { createHmac } from 'node:crypto';
import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../domain/errors.js';
import { authenticate, JWT_LEEWAY_SECONDS, verifyHs256 } from './auth.js';

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
    // Expired beyond the clock-skew leeway (JWT_LEEWAY_SECONDS).
    const expired = await sign({ sub: 'u1', exp: now() - 60 }, secret, 'HS256');
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
    // Past its exp and the leeway (a clock 32 s ahead): the cached entry no longer counts.
    await expect(
      authenticate(`Bearer ${token}`, secret, () => Date.now() + (JWT_LEEWAY_SECONDS + 2) * 1000),
    ).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('JWT rules of issue 19 (item 7)', () => {
  it('refuses a token without exp, even a correctly signed one', async () => {
    const noExp = await sign({ sub: 'u-noexp', iat: now() }, secret, 'HS256');
    await expect(authenticate(`Bearer ${noExp}`, secret)).rejects.toBeInstanceOf(UnauthorizedError);
    const textExp = await sign(
      { sub: 'u-noexp', exp: String(now() + 60) as unknown as number },
      secret,
      'HS256',
    );
    await expect(authenticate(`Bearer ${textExp}`, secret)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('accepts the scheme in any case (RFC 7235)', async () => {
    const token = await sign({ sub: 'u-case', exp: now() + 60 }, secret, 'HS256');
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `bEaReR ${token}`, `Bearer   ${token}`]) {
      expect(await authenticate(header, secret)).toEqual({ id: 'u-case', isAdmin: false });
    }
  });

  it('allows ~30 s of clock skew on iat, nbf and exp, and no more', async () => {
    const ahead = (seconds: number) =>
      sign(
        { sub: `u-skew-${seconds}`, iat: now() + seconds, nbf: now() + seconds, exp: now() + 3_600 },
        secret,
        'HS256',
      );
    expect((await authenticate(`Bearer ${await ahead(2)}`, secret)).id).toBe('u-skew-2');
    expect((await authenticate(`Bearer ${await ahead(25)}`, secret)).id).toBe('u-skew-25');
    await expect(authenticate(`Bearer ${await ahead(90)}`, secret)).rejects.toBeInstanceOf(UnauthorizedError);
    const justExpired = await sign({ sub: 'u-late', exp: now() - 5 }, secret, 'HS256');
    expect((await authenticate(`Bearer ${justExpired}`, secret)).id).toBe('u-late');
    const longExpired = await sign({ sub: 'u-late2', exp: now() - 45 }, secret, 'HS256');
    await expect(authenticate(`Bearer ${longExpired}`, secret)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses a sub that is not printable ASCII (a lone surrogate, a NUL, non-ASCII)', async () => {
    for (const sub of ['\ud800', 'a\u0000b', 'é', 'a b']) {
      const token = await sign({ sub, exp: now() + 60 }, secret, 'HS256');
      await expect(authenticate(`Bearer ${token}`, secret)).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });
});

describe('verifyHs256 (the header and signature rules hono/jwt verify applied)', () => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = (header: unknown, payload: unknown, key = secret) => {
    const data = `${part(header)}.${part(payload)}`;
    return `${data}.${createHmac('sha256', key).update(data).digest('base64url')}`;
  };
  const claims = { sub: 'u1', exp: now() + 60 };

  it('accepts tokens hono signs, and typ JWT in any spelling or absent', async () => {
    expect(verifyHs256(await sign(claims, secret, 'HS256'), secret)).toEqual(claims);
    for (const typ of ['JWT', 'jwt', 'application/jwt', undefined]) {
      expect(verifyHs256(signed({ alg: 'HS256', typ }, claims), secret)).toEqual(claims);
    }
  });

  it('refuses other algorithms, other typ, crit, tampering and malformed parts', async () => {
    const good = signed({ alg: 'HS256', typ: 'JWT' }, claims);
    const [h, p, sig] = good.split('.') as [string, string, string];
    const refused = [
      signed({ alg: 'HS512', typ: 'JWT' }, claims),
      signed({ alg: 'none' }, claims),
      signed({ typ: 'JWT' }, claims),
      signed({ alg: 'HS256', typ: 'JOSE' }, claims),
      signed({ alg: 'HS256', crit: ['exp'] }, claims),
      signed({ alg: 'HS256' }, claims, 'another-secret-0123456789'),
      signed({ alg: 'HS256' }, ['not', 'an', 'object']),
      `${h}.${part({ ...claims, sub: 'admin' })}.${sig}`,
      `${h}.${p}.${sig}==`,
      `${h}.${p}.${sig.slice(0, -2)}`,
      `${h}.${p}`,
      `${h}.${p}.${sig}.x`,
      `${h}+.${p}.${sig}`,
    ];
    for (const token of refused) expect(() => verifyHs256(token, secret), token).toThrow();
  });
});
