import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifierFromEnvironment } from '../../functions/auth/token-verifier.js';
import { readEnvironment } from '../../functions/config.js';
import { type LocalOidcIssuer, startLocalOidcIssuer } from './oidc-issuer.js';

/** The local issuer against the production verifier, configured from its discovery and environment. */
describe('local OIDC issuer', () => {
  let issuer: LocalOidcIssuer;
  beforeAll(async () => {
    issuer = await startLocalOidcIssuer();
  });
  afterAll(() => issuer.close());

  it('publishes discovery and a JWKS, and its tokens pass the real verifier (admin by group)', async () => {
    const discovery = (await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
      token_endpoint: string;
    };
    expect(discovery.issuer).toBe(issuer.issuer);
    const env = readEnvironment({
      REDIS_URL: 'redis://unused:6379',
      ...issuer.environment,
      JWT_JWKS_URL: discovery.jwks_uri,
    });
    const verifier = await createTokenVerifierFromEnvironment(env);
    const response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      body: JSON.stringify({ user: 'alice', admin: true }),
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    expect(await verifier.authenticate(`Bearer ${token}`)).toEqual({ id: 'alice', isAdmin: true });
    const bob = await issuer.issueToken('bob');
    expect(await verifier.authenticate(`Bearer ${bob}`)).toEqual({ id: 'bob', isAdmin: false });
  });

  it('refuses users that are not demo user names, with a 400', async () => {
    for (const body of ['{"user":"a b"}', '{}', 'not json', `{"user":"${'x'.repeat(65)}"}`]) {
      const response = await fetch(`${issuer.issuer}/token`, { method: 'POST', body });
      expect(response.status).toBe(400);
    }
  });
});
