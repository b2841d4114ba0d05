import { sign as cryptoSign, KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** A real key pair made with jose; its public JWK as an issuer publishes it. */
export async function makeSigningKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export type JwksMode = 'ok' | 'down' | 'error' | 'garbage' | 'slow';

/**
 * A real JWKS endpoint (node:http) whose answer the test controls: the keys it publishes, and
 * whether it answers, fails, answers nonsense or hangs. `fetches` records the arrival of every
 * request on the test's clock, so a test can check the spacing of fetches in its own time.
 */
export async function startJwksServer(options: { clock?: () => number; slowMs?: number } = {}) {
  let keys: JWK[] = [];
  let mode: JwksMode = 'ok';
  const fetches: number[] = [];
  const clock = options.clock ?? Date.now;
  const server: Server = createServer((request, response) => {
    fetches.push(clock());
    if (mode === 'down') {
      request.socket.destroy();
      return;
    }
    if (mode === 'slow') {
      const timer = setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys }));
      }, options.slowMs ?? 5_000);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    if (mode === 'error') {
      response.writeHead(500).end('oops');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(mode === 'garbage' ? '{"keys":' : JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: `${origin}/issuer`,
    /** API.md's default place: the issuer + /.well-known/jwks.json. */
    jwksUrl: `${origin}/issuer/.well-known/jwks.json`,
    fetches,
    publish(...published: SigningKey[]) {
      keys = published.map((key) => key.publicJwk);
    },
    setMode(next: JwksMode) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type JwksServer = Awaited<ReturnType<typeof startJwksServer>>;

/**
 * A compact JWS over any header and payload, signed with node:crypto (jose refuses to sign some of
 * the headers the tests need, e.g. an unknown `crit`).
 */
export function signRaw(key: SigningKey, header: unknown, payload: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part(header)}.${part(payload)}`;
  const signature = cryptoSign('sha256', Buffer.from(input), {
    key: KeyObject.from(key.privateKey),
    ...(key.alg === 'ES256' ? { dsaEncoding: 'ieee-p1363' as const } : {}),
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** A token signed by `key` with its kid, `iss` of the server, and the claims given (overridable). */
export function signedToken(
  key: SigningKey,
  claims: JWTPayload & Record<string, unknown>,
  options: { issuer: string; nowSeconds?: number; header?: Record<string, unknown> },
): Promise<string> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: options.issuer, iat: now, exp: now + 3_600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
    .sign(key.privateKey);
}
