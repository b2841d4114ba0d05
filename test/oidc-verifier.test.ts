/**
 * The OIDC verifier against a real JWKS endpoint (node:http) and real keys made with jose, trying
 * hard to get a bad token accepted, a refusal turned into a 5xx, or the JWKS fetched too often.
 * The clock is injected (verifier and key store share it), so "more than 30 s later" takes no time.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { exportSPKI } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenVerifier } from '../functions/auth/auth.js';
import { JwksKeyStore } from '../functions/auth/jwks-key-store.js';
import { createTokenVerifier } from '../functions/auth/token-verifier.js';
import { SigningKeysUnavailableError, UnauthorizedError } from '../functions/domain/errors.js';
import {
  type JwksServer,
  makeSigningKey,
  type SigningKey,
  signedToken,
  signRaw,
  startJwksServer,
} from './support/jwks-server.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';

const AUDIENCE = 'app-client-1';
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

let now = Date.now();
const clock = () => now;
let jwks: JwksServer;
let keyA: SigningKey;
let keyB: SigningKey;
let keyEc: SigningKey;
let attacker: SigningKey;

function verifierFor(options: { timeoutMs?: number; hs256?: boolean; audience?: string | null } = {}) {
  const keys = new JwksKeyStore({ url: jwks.jwksUrl, nowMs: clock, timeoutMs: options.timeoutMs ?? 2_000 });
  const verifier = createTokenVerifier({
    ...(options.hs256 ? { hs256Secret: TEST_JWT_SECRET } : {}),
    oidc: {
      issuer: jwks.issuer,
      keys,
      ...(options.audience === null ? {} : { audience: options.audience ?? AUDIENCE }),
    },
    admin: { claim: 'cognito:groups', value: 'admin' },
    nowMs: clock,
  });
  return { verifier, keys };
}

const sign = (key: SigningKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signedToken(
    key,
    { sub: 'user-1', aud: AUDIENCE, ...claims },
    { issuer: jwks.issuer, nowSeconds: Math.floor(now / 1000), header },
  );

const verify = (verifier: TokenVerifier, token: string) => verifier.authenticate(`Bearer ${token}`);

async function refusal(verifier: TokenVerifier, token: string): Promise<unknown> {
  try {
    await verify(verifier, token);
    return 'accepted';
  } catch (error) {
    return error;
  }
}

beforeEach(async () => {
  // Today: tokens of tokenFor (HS256) carry the real time.
  now = Date.now();
  jwks = await startJwksServer({ clock, slowMs: 1_500 });
  [keyA, keyB, keyEc, attacker] = await Promise.all([
    makeSigningKey('key-a'),
    makeSigningKey('key-b'),
    makeSigningKey('key-ec', 'ES256'),
    makeSigningKey('key-a'), // same kid as the published key-a, another key
  ]);
  jwks.publish(keyA, keyEc);
});
afterEach(() => jwks.close());

describe('tokens of the issuer', () => {
  it('accepts RS256 and ES256 tokens of published keys, admin through a list claim', async () => {
    const { verifier } = verifierFor();
    expect(await verify(verifier, await sign(keyA))).toEqual({ id: 'user-1', isAdmin: false });
    expect(
      await verify(verifier, await sign(keyEc, { sub: 'boss', 'cognito:groups': ['staff', 'admin'] })),
    ).toEqual({
      id: 'boss',
      isAdmin: true,
    });
    // Not in the list, or a look-alike: no admin.
    expect(
      (await verify(verifier, await sign(keyA, { sub: 'u2', 'cognito:groups': ['administrators'] }))).isAdmin,
    ).toBe(false);
    expect(
      (await verify(verifier, await sign(keyA, { sub: 'u3', 'cognito:groups': 'admin ' }))).isAdmin,
    ).toBe(false);
    expect(jwks.fetches).toHaveLength(1);
  });

  it('takes client_id for a token without aud (Cognito access tokens), never beside a foreign aud', async () => {
    const { verifier } = verifierFor();
    const access = await sign(keyA, { aud: undefined, client_id: AUDIENCE, token_use: 'access' });
    expect((await verify(verifier, access)).id).toBe('user-1');
    const foreignAud = await sign(keyA, { aud: 'other-app', client_id: AUDIENCE });
    expect(await refusal(verifier, foreignAud)).toBeInstanceOf(UnauthorizedError);
    expect(await refusal(verifier, await sign(keyA, { aud: undefined }))).toBeInstanceOf(UnauthorizedError);
    // aud as a list containing ours is ours.
    expect((await verify(verifier, await sign(keyA, { aud: ['x', AUDIENCE] }))).id).toBe('user-1');
  });
});

describe('refusals: each one a 401 (UnauthorizedError), none a 503 or anything else', () => {
  const cases: Array<[string, () => Promise<string>]> = [
    ['signed by another key with the same kid', () => sign(attacker)],
    [
      'alg none',
      async () =>
        `${b64({ alg: 'none', kid: 'key-a', typ: 'JWT' })}.${b64({ sub: 'user-1', iss: jwks.issuer, aud: AUDIENCE, exp: now / 1000 + 600 })}.`,
    ],
    [
      'HS256 signed with the public key as the secret (algorithm confusion), PEM and JWK forms',
      async () => {
        const header = b64({ alg: 'HS256', kid: 'key-a', typ: 'JWT' });
        const payload = b64({
          sub: 'user-1',
          iss: jwks.issuer,
          aud: AUDIENCE,
          exp: Math.floor(now / 1000) + 600,
        });
        const pem = await exportSPKI(keyA.publicKey);
        const signature = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
    [
      'HS256 signed with the JWK JSON as the secret',
      async () => {
        const header = b64({ alg: 'HS256', kid: 'key-a' });
        const payload = b64({
          sub: 'user-1',
          iss: jwks.issuer,
          aud: AUDIENCE,
          exp: Math.floor(now / 1000) + 600,
        });
        const signature = createHmac('sha256', JSON.stringify(keyA.publicJwk))
          .update(`${header}.${payload}`)
          .digest('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
    [
      'an RS256 signature relabelled RS384',
      () =>
        sign(keyA).then((t) => `${b64({ alg: 'RS384', kid: 'key-a' })}.${t.split('.').slice(1).join('.')}`),
    ],
    [
      'signed by the real key as PS256 (not an accepted algorithm)',
      async () =>
        signRaw(
          keyA,
          { alg: 'PS256', kid: 'key-a' },
          { sub: 'user-1', iss: jwks.issuer, aud: AUDIENCE, exp: Math.floor(now / 1000) + 600 },
        ),
    ],
    ['wrong iss', () => sign(keyA, { iss: 'https://evil.example/issuer' })],
    ['iss with a trailing slash added', () => sign(keyA, { iss: `${jwks.issuer}/` })],
    ['wrong aud', () => sign(keyA, { aud: 'another-client' })],
    ['expired (beyond the 30 s leeway)', () => sign(keyA, { exp: Math.floor(now / 1000) - 31 })],
    ['nbf in the future (beyond the leeway)', () => sign(keyA, { nbf: Math.floor(now / 1000) + 120 })],
    ['iat in the future (beyond the leeway)', () => sign(keyA, { iat: Math.floor(now / 1000) + 120 })],
    ['no exp', () => sign(keyA, { exp: undefined })],
    ['no sub', () => sign(keyA, { sub: undefined })],
    ['sub not a string', () => sign(keyA, { sub: 42 })],
    ['sub with whitespace', () => sign(keyA, { sub: 'a b' })],
    [
      'payload changed after signing',
      () =>
        sign(keyA).then((t) => {
          const [h, , s] = t.split('.');
          return `${h}.${b64({ sub: 'admin', iss: jwks.issuer, aud: AUDIENCE, exp: now / 1000 + 600 })}.${s}`;
        }),
    ],
    [
      'embedded jwk header naming the attacker key',
      async () => sign(attacker, {}, { kid: 'unknown-kid', jwk: attacker.publicJwk }),
    ],
    [
      'an unknown crit extension, signed by the real key',
      async () =>
        signRaw(
          keyA,
          { alg: 'RS256', kid: 'key-a', crit: ['x-unknown'], 'x-unknown': 1 },
          { sub: 'user-1', iss: jwks.issuer, aud: AUDIENCE, exp: Math.floor(now / 1000) + 600 },
        ),
    ],
    ['HS256 with the right secret while HS256 is off', () => tokenFor('user-1')],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const { verifier } = verifierFor();
      // The good token first: the keys are cached, so every refusal below is about the token alone.
      expect((await verify(verifier, await sign(keyA))).id).toBe('user-1');
      const error = await refusal(verifier, await make());
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as UnauthorizedError).status).toBe(401);
    });
  }

  it('HS256 stays accepted beside OIDC when JWT_SECRET is set; the public-key forgery still is not', async () => {
    const { verifier } = verifierFor({ hs256: true });
    expect((await verify(verifier, await tokenFor('local-user', { admin: true }))).isAdmin).toBe(false);
    const header = b64({ alg: 'HS256', kid: 'key-a' });
    const payload = b64({
      sub: 'user-1',
      iss: jwks.issuer,
      aud: AUDIENCE,
      exp: Math.floor(now / 1000) + 600,
    });
    const forged = `${header}.${payload}.${createHmac('sha256', JSON.stringify(keyA.publicJwk)).update(`${header}.${payload}`).digest('base64url')}`;
    expect(await refusal(verifier, forged)).toBeInstanceOf(UnauthorizedError);
  });

  it('an unknown kid is a 401 once a fetch succeeded without it', async () => {
    const { verifier } = verifierFor();
    expect(await refusal(verifier, await sign(keyB))).toBeInstanceOf(UnauthorizedError);
    expect(jwks.fetches).toHaveLength(1);
  });
});

describe('JWKS outage: 503 with Retry-After for keys not cached, cached keys keep working', () => {
  it('down at the first request: 503, then the cached key works once it is back and fetched again', async () => {
    jwks.setMode('down');
    const { verifier } = verifierFor();
    const error = await refusal(verifier, await sign(keyA));
    expect(error).toBeInstanceOf(SigningKeysUnavailableError);
    expect((error as SigningKeysUnavailableError).status).toBe(503);
    expect(Number((error as SigningKeysUnavailableError).headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    // Within the cooldown: no new fetch, still 503 (unknown, not invalid), with the time left.
    now += 10_000;
    const again = (await refusal(verifier, await sign(keyA))) as SigningKeysUnavailableError;
    expect(again).toBeInstanceOf(SigningKeysUnavailableError);
    expect(again.headers['Retry-After']).toBe('20');
    expect(jwks.fetches).toHaveLength(1);
    jwks.setMode('ok');
    now += 20_000;
    expect((await verify(verifier, await sign(keyA))).id).toBe('user-1');
    expect(jwks.fetches).toHaveLength(2);
  });

  for (const mode of ['down', 'error', 'garbage', 'slow'] as const) {
    it(`JWKS ${mode}: a cached key still verifies, an uncached kid is 503, the request waits no longer than the timeout`, async () => {
      const { verifier } = verifierFor({ timeoutMs: 300 });
      expect((await verify(verifier, await sign(keyA))).id).toBe('user-1');
      jwks.setMode(mode);
      jwks.publish(keyA, keyEc, keyB);
      now += 31_000;
      const started = performance.now();
      const error = await refusal(verifier, await sign(keyB));
      expect(performance.now() - started).toBeLessThan(1_200);
      expect(error).toBeInstanceOf(SigningKeysUnavailableError);
      expect(jwks.fetches).toHaveLength(2);
      // A new token of the cached key (not the verified-token cache): still accepted, no fetch.
      expect((await verify(verifier, await sign(keyA, { sub: 'user-2' }))).id).toBe('user-2');
      expect(jwks.fetches).toHaveLength(2);
    });
  }

  it('keys older than the max age are refreshed in the background; a failed refresh keeps them', async () => {
    const { verifier } = verifierFor({ timeoutMs: 300 });
    expect((await verify(verifier, await sign(keyA))).id).toBe('user-1');
    jwks.setMode('error');
    now += 11 * 60_000;
    expect((await verify(verifier, await sign(keyA, { sub: 'u-stale' }))).id).toBe('u-stale');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(jwks.fetches).toHaveLength(2);
    expect((await verify(verifier, await sign(keyA, { sub: 'u-stale-2' }))).id).toBe('u-stale-2');
    expect(jwks.fetches).toHaveLength(2);
  });
});

describe('rotation and the fetch rate', () => {
  it('a newly published key is accepted on its first request once the last fetch is > 30 s old, no restart', async () => {
    const { verifier } = verifierFor();
    expect((await verify(verifier, await sign(keyA))).id).toBe('user-1');
    jwks.publish(keyB); // rotated: key-a retired, key-b signs
    now += 10_000;
    // Inside the cooldown the last fetch (which succeeded) is the truth: unknown kid, 401, no fetch.
    expect(await refusal(verifier, await sign(keyB))).toBeInstanceOf(UnauthorizedError);
    expect(jwks.fetches).toHaveLength(1);
    now += 20_001;
    expect((await verify(verifier, await sign(keyB, { sub: 'rotated' }))).id).toBe('rotated');
    expect(jwks.fetches).toHaveLength(2);
    // The retired key's new tokens are refused now.
    expect(await refusal(verifier, await sign(keyA, { sub: 'old-key' }))).toBeInstanceOf(UnauthorizedError);
  });

  it('a flood of unknown kids fetches the JWKS at most once per 30 s (sequential and concurrent)', async () => {
    const { verifier } = verifierFor();
    const start = now;
    const forged = await Promise.all(
      Array.from({ length: 20 }, (_, index) => makeSigningKey(`flood-${index}`)),
    );
    for (let step = 0; step < 400; step += 1) {
      now = start + step * 250; // 100 s of a steady flood
      const burst = await Promise.all(
        [0, 1, 2].map(async (n) =>
          refusal(verifier, await sign(forged[(step + n) % forged.length] as SigningKey)),
        ),
      );
      for (const error of burst) expect(error).toBeInstanceOf(UnauthorizedError);
    }
    const elapsed = now - start;
    expect(jwks.fetches.length).toBeLessThanOrEqual(Math.floor(elapsed / 30_000) + 1);
    expect(jwks.fetches.length).toBeGreaterThanOrEqual(2); // it does refresh, not never
    for (let index = 1; index < jwks.fetches.length; index += 1) {
      expect((jwks.fetches[index] as number) - (jwks.fetches[index - 1] as number)).toBeGreaterThanOrEqual(
        30_000,
      );
    }
    // A real key is still served from the cache meanwhile.
    expect((await verify(verifier, await sign(keyA))).id).toBe('user-1');
  });

  it('a flood during an outage also fetches at most once per 30 s, and answers 503 without waiting', async () => {
    jwks.setMode('slow');
    const { verifier } = verifierFor({ timeoutMs: 200 });
    const start = now;
    for (let step = 0; step < 100; step += 1) {
      now = start + step * 1_000;
      const error = await refusal(verifier, await sign(keyB));
      expect(error).toBeInstanceOf(SigningKeysUnavailableError);
    }
    expect(jwks.fetches.length).toBeLessThanOrEqual(4);
  });
});

describe('header fuzzing', () => {
  it('any header on a token signed by a foreign key is a 401, never accepted, never another error, no fetch elsewhere', async () => {
    const { verifier } = verifierFor({ hs256: true });
    expect((await verify(verifier, await sign(keyA))).id).toBe('user-1');
    const elsewhere = await startJwksServer();
    try {
      const headerValue = fc.oneof(
        fc.constantFrom(
          'RS256',
          'ES256',
          'HS256',
          'none',
          'None',
          'NONE',
          'PS256',
          'RS384',
          'EdDSA',
          '',
          'rs256',
          'HS512',
        ),
        fc.string(),
        fc.integer(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 3 }),
      );
      const header = fc.record(
        {
          alg: headerValue,
          kid: fc.oneof(
            fc.constantFrom('key-a', 'key-ec', '', '../key-a', 'key-a\u0000'),
            fc.string({ maxLength: 40 }),
            fc.integer(),
          ),
          typ: fc.oneof(fc.constantFrom('JWT', 'at+jwt', 'JOSE'), fc.string()),
          crit: fc.array(fc.string(), { maxLength: 2 }),
          b64: fc.boolean(),
          jku: fc.constant(elsewhere.jwksUrl),
          x5u: fc.constant(elsewhere.jwksUrl),
          jwk: fc.constant(attacker.publicJwk),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(header, fc.boolean(), async (fields, rawHeader) => {
          const signed = await sign(attacker);
          const [, payload, signature] = signed.split('.');
          const headerPart = rawHeader ? b64(JSON.stringify(fields).slice(1)) : b64(fields);
          const error = await refusal(verifier, `${headerPart}.${payload}.${signature}`);
          expect(error).toBeInstanceOf(UnauthorizedError);
        }),
        { numRuns: 300 },
      );
      // Headers on the real key's signature: only RS256 with its kid (or none) and no crit passes.
      await fc.assert(
        fc.asyncProperty(header, async (fields) => {
          const token = signRaw(keyA, fields, {
            sub: 'user-1',
            iss: jwks.issuer,
            aud: AUDIENCE,
            exp: Math.floor(now / 1000) + 600,
          });
          const outcome = await refusal(verifier, token);
          // (`b64` outside `crit` means nothing, RFC 7797 section 6: the payload stays base64url.)
          const sane =
            fields.alg === 'RS256' && (!('kid' in fields) || fields.kid === 'key-a') && !('crit' in fields);
          if (outcome === 'accepted') expect(sane).toBe(true);
          else expect(outcome).toBeInstanceOf(UnauthorizedError);
        }),
        { numRuns: 300 },
      );
      expect(elsewhere.fetches).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });
});
