/**
 * OIDC tokens through the real composition roots (http and ws, configured from the environment as
 * on Lambda), real Redis and SQS protocol, the local WebSocket gateway: every refusal is a 401 JSON
 * error on HTTP and a refused handshake at `$connect`; the JWKS outage a 503 with Retry-After on both.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import {
  type JwksServer,
  makeSigningKey,
  type SigningKey,
  signedToken,
  startJwksServer,
} from './support/jwks-server.js';
import { tokenFor } from './support/tokens.js';
import { type RealtimeStack, startRealtimeStack } from './ws-helpers.js';

const AUDIENCE = 'demo-client';

/** The handshake's outcome: 101, or the refusal's status and Retry-After. */
function handshake(url: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101 });
    });
    socket.once('unexpected-response', (_request, response) => {
      const retryAfter = response.headers['retry-after'];
      resolve({
        status: response.statusCode ?? 0,
        ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
      });
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

function oidcEnv(jwks: JwksServer): Record<string, string> {
  return {
    JWT_ISSUER: jwks.issuer,
    JWT_AUDIENCE: AUDIENCE,
    JWT_ADMIN_CLAIM: 'cognito:groups',
    JWT_ADMIN_VALUE: 'admin',
    JWT_JWKS_TIMEOUT_MS: '300',
  };
}

describe('OIDC tokens on the HTTP API and at WebSocket connect', () => {
  let jwks: JwksServer;
  let stack: RealtimeStack;
  let key: SigningKey;
  let other: SigningKey;
  let auctionId: string;
  const sign = (claims: Record<string, unknown> = {}, by: SigningKey = key) =>
    signedToken(by, { sub: 'oidc-user', aud: AUDIENCE, ...claims }, { issuer: jwks.issuer });

  beforeAll(async () => {
    jwks = await startJwksServer();
    [key, other] = await Promise.all([makeSigningKey('k1'), makeSigningKey('k1')]);
    jwks.publish(key);
    const env = oidcEnv(jwks);
    stack = await startRealtimeStack({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      env,
      httpEnv: env,
    });
    const created = await stack.http.request('/auctions', {
      method: 'POST',
      token: await sign({ sub: 'oidc-admin', 'cognito:groups': ['admin'] }),
      body: {
        title: 'OIDC lot',
        startingPrice: 1_000,
        minIncrement: 100,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    auctionId = ((await created.json()) as { auction: { id: string } }).auction.id;
  });
  afterAll(async () => {
    await stack?.stop();
    await jwks?.close();
  });

  it('accepts a valid token: a bid (201), a watcher connection (101); admin only with the group', async () => {
    const bid = await stack.http.request(`/auctions/${auctionId}/bids`, {
      method: 'POST',
      token: await sign(),
      body: { amount: 1_000 },
    });
    expect(bid.status).toBe(201);
    expect(await handshake(`${stack.gateway.url}/?token=${await sign()}`)).toEqual({ status: 101 });
    const notAdmin = await stack.http.request('/auctions', {
      method: 'POST',
      token: await sign({ 'cognito:groups': ['bidders'] }),
      body: {},
    });
    expect(notAdmin.status).toBe(403);
    // HS256 with JWT_SECRET still works beside OIDC (local runs, tests).
    expect(await handshake(`${stack.gateway.url}/?token=${await tokenFor('hs-user')}`)).toEqual({
      status: 101,
    });
  });

  const refused: Array<[string, () => Promise<string>]> = [
    ['another key with the same kid', () => sign({}, other)],
    ['wrong iss', () => sign({ iss: 'https://issuer.invalid/' })],
    ['wrong aud', () => sign({ aud: 'someone-else' })],
    ['expired', () => sign({ exp: Math.floor(Date.now() / 1000) - 120 })],
    ['nbf in the future', () => sign({ nbf: Math.floor(Date.now() / 1000) + 600 })],
    ['no sub', () => sign({ sub: undefined })],
    [
      'alg none',
      async () => {
        const [, payload] = (await sign()).split('.');
        return `${Buffer.from('{"alg":"none","kid":"k1"}').toString('base64url')}.${payload}.`;
      },
    ],
    [
      'HS256 signed with the public JWK',
      async () => {
        const header = Buffer.from('{"alg":"HS256","kid":"k1"}').toString('base64url');
        const [, payload] = (await sign()).split('.');
        const mac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(`${header}.${payload}`);
        return `${header}.${payload}.${mac.digest('base64url')}`;
      },
    ],
    ['an unknown kid', async () => sign({}, await makeSigningKey('k-unknown'))],
  ];
  for (const [name, make] of refused) {
    it(`refuses ${name}: 401 unauthorized on HTTP, handshake refused with 401`, async () => {
      const token = await make();
      const response = await stack.http.request(`/auctions/${auctionId}/bids`, {
        method: 'POST',
        token,
        body: { amount: 5_000 },
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      expect(await handshake(`${stack.gateway.url}/?token=${encodeURIComponent(token)}`)).toEqual({
        status: 401,
      });
    });
  }
});

describe('OIDC with the JWKS unreachable', () => {
  let jwks: JwksServer;
  let stack: RealtimeStack;
  let key: SigningKey;

  beforeAll(async () => {
    jwks = await startJwksServer({ slowMs: 5_000 });
    key = await makeSigningKey('k1');
    jwks.publish(key);
    jwks.setMode('slow');
    const env = oidcEnv(jwks);
    stack = await startRealtimeStack({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      env,
      httpEnv: env,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await jwks?.close();
  });

  it('answers 503 + Retry-After on HTTP and at connect for a key it never fetched; HS256 unaffected', async () => {
    const token = await signedToken(key, { sub: 'u', aud: AUDIENCE }, { issuer: jwks.issuer });
    const response = await stack.http.request(`/auctions/x/bids`, {
      method: 'POST',
      token,
      body: { amount: 1 },
    });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'signing_keys_unavailable',
    );
    const refused = await handshake(`${stack.gateway.url}/?token=${token}`);
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // No JWKS fetch for a garbage token: refused (401) before any key is looked for.
    expect((await stack.http.request('/me/bids', { token: 'abc.def.ghi' })).status).toBe(401);
    expect(await handshake(`${stack.gateway.url}/?token=${await tokenFor('hs-user')}`)).toEqual({
      status: 101,
    });
  });
});
