/**
 * CPU per token verification, same run: HS256 (node:crypto HMAC, auth.ts) next to RS256 and ES256
 * with the issuer's key cached (jose, token-verifier.ts). Every token is distinct, so the per-
 * instance cache of verified tokens never answers: this is the cost of a user's first request on an
 * instance (afterwards both paths cost a Map lookup). Small on purpose: `npm run bench:auth`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { hs256Verifier, type TokenVerifier } from '../functions/auth/auth.js';
import { JwksKeyStore } from '../functions/auth/jwks-key-store.js';
import { createTokenVerifier } from '../functions/auth/token-verifier.js';
import { tokenFor } from '../test/support/tokens.js';

const N = Number(process.env.BENCH_TOKENS ?? 2_000);
const SECRET = 'bench-secret-with-enough-length-1';

async function keyFor(alg: 'RS256' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const [rsa, ec] = await Promise.all([keyFor('RS256', 'rsa'), keyFor('ES256', 'ec')]);
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const oidc = createTokenVerifier({
  oidc: { issuer, audience: 'bench', keys: new JwksKeyStore({ url: `${issuer}/.well-known/jwks.json` }) },
});
const hs = hs256Verifier(SECRET);

const now = Math.floor(Date.now() / 1000);
const signed = (key: typeof rsa, index: number) =>
  new SignJWT({ sub: `user-${index}`, aud: 'bench', iss: issuer, iat: now, exp: now + 3_600 })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .sign(key.privateKey);

async function measure(name: string, verifier: TokenVerifier, tokens: string[]) {
  // Warm-up: the key import, JIT; then the measured run over fresh tokens.
  for (const token of tokens.slice(0, 50)) await verifier.authenticate(`Bearer ${token}`);
  const measured = tokens.slice(50);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const token of measured) await verifier.authenticate(`Bearer ${token}`);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  const cpuUs = (used.user + used.system) / measured.length;
  console.log(
    `${name.padEnd(26)} ${cpuUs.toFixed(1).padStart(7)} us CPU/token  ${((wall * 1000) / measured.length).toFixed(1).padStart(7)} us wall/token  (${measured.length} tokens)`,
  );
}

const hsTokens = await Promise.all(
  Array.from({ length: N + 50 }, (_, index) => tokenFor(`user-${index}`, { secret: SECRET })),
);
const rsTokens = await Promise.all(Array.from({ length: N + 50 }, (_, index) => signed(rsa, index)));
const ecTokens = await Promise.all(Array.from({ length: N + 50 }, (_, index) => signed(ec, index)));

console.log(`node ${process.version}, first verification per token (no verified-token cache hit)`);
await measure('HS256 (node:crypto)', hs, hsTokens);
await measure('RS256 cached key (jose)', oidc, rsTokens);
await measure('ES256 cached key (jose)', oidc, ecTokens);
// The same tokens again: answered by the verified-token cache, what a user's later requests cost.
await measure('HS256 repeat (cache hit)', hs, hsTokens);
await measure('RS256 repeat (cache hit)', oidc, rsTokens);
server.close();
