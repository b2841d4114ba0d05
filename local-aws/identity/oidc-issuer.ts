/**
 * A small OpenID Connect issuer for `npm run local` (opt-in: LOCAL_OIDC=1), so local runs and the
 * demo can sign in the way production does (RS256 tokens checked against a JWKS, API.md v1.2)
 * rather than with the shared HS256 secret. It serves:
 * - GET  /.well-known/openid-configuration  (discovery: issuer, jwks_uri, token_endpoint)
 * - GET  /.well-known/jwks.json             (the public key; a new one each start: rotation for free)
 * - POST /token  {"user": "alice", "admin"?: true}  -> { access_token, id_token, token_type, expires_in }
 * It is a development stand-in: anyone who reaches it can sign in as anyone (demo users), so it
 * binds to 127.0.0.1 only and is never deployed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export const LOCAL_OIDC_AUDIENCE = 'live-sale-local';
const USER = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN_SECONDS = 3_600;

export interface LocalOidcIssuer {
  issuer: string;
  /** The functions' configuration for this issuer (functions/config.ts). */
  environment: Record<string, string>;
  issueToken(user: string, options?: { admin?: boolean }): Promise<string>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 4_096) throw new Error('body too large');
  }
  return body;
}

export async function startLocalOidcIssuer(options: { port?: number } = {}): Promise<LocalOidcIssuer> {
  const kid = `local-${Date.now().toString(36)}`;
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  let issuer = '';

  const issueToken = (user: string, tokenOptions: { admin?: boolean } = {}) =>
    // The admin mark of the default mapping (role = admin), the one the HS256 tokens of `npm run
    // seed`, the tests and the benchmarks carry, so both kinds of token mean the same locally.
    new SignJWT({ ...(tokenOptions.admin ? { role: 'admin' } : {}) })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(LOCAL_OIDC_AUDIENCE)
      .setSubject(user)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_SECONDS}s`)
      .sign(privateKey);

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(response, 200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: ['ES256'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
      });
    }
    if (request.method === 'GET' && path === '/.well-known/jwks.json') return json(response, 200, jwks);
    if (request.method === 'POST' && path === '/token') {
      readBody(request)
        .then(async (raw) => {
          const body = JSON.parse(raw || '{}') as { user?: unknown; admin?: unknown };
          if (typeof body.user !== 'string' || !USER.test(body.user)) {
            return json(response, 400, {
              error: 'invalid_request',
              error_description: 'user: 1-64 of A-Z a-z 0-9 _ -',
            });
          }
          const token = await issueToken(body.user, { admin: body.admin === true });
          return json(response, 200, {
            access_token: token,
            id_token: token,
            token_type: 'Bearer',
            expires_in: TOKEN_SECONDS,
          });
        })
        .catch(() => json(response, 400, { error: 'invalid_request' }));
      return;
    }
    json(response, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    environment: {
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: LOCAL_OIDC_AUDIENCE,
    },
    issueToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
