import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { ConfigurationError, type Environment, resolveSecret } from '../config.js';
import { SigningKeysUnavailableError, UnauthorizedError } from '../domain/errors.js';
import {
  type AdminMapping,
  type AuthenticatedUser,
  bearerToken,
  DEFAULT_ADMIN_MAPPING,
  JWT_LEEWAY_SECONDS,
  type TokenVerifier,
  userFromClaims,
  verifyHs256,
} from './auth.js';
import { JwksKeyStore, type JwksKeyStoreOptions } from './jwks-key-store.js';

/** The algorithms of an OIDC issuer's keys (API.md v1.2); anything else is refused before a key is chosen. */
export const ISSUER_ALGORITHMS = ['RS256', 'ES256'] as const;

export interface OidcOptions {
  /** Tokens must carry exactly this `iss`. */
  issuer: string;
  /** Must match `aud`, or `client_id` for a token without `aud` (Cognito access tokens). */
  audience?: string;
  keys: JwksKeyStore;
}

export interface TokenVerifierOptions {
  /** HS256 tokens are accepted only with it (local runs, tests). */
  hs256Secret?: string;
  oidc?: OidcOptions;
  admin?: AdminMapping;
  nowMs?: () => number;
}

/**
 * Tokens already verified, per verifier, until their `exp` and at most a minute (same reason as
 * auth.ts: a bidder sends one token many times a second; an RS256 check is ~10x an HMAC). A key
 * removed from the JWKS therefore stops a token it signed within a minute on an instance that had
 * verified it.
 */
const VERIFIED_CACHE_LIMIT = 10_000;
const VERIFIED_CACHE_MS = 60_000;

function audienceMatches(claims: JWTPayload, audience: string): boolean {
  const { aud } = claims;
  // A token that names an audience is judged by it alone: a matching client_id beside a foreign aud is no match.
  if (aud !== undefined) return Array.isArray(aud) ? aud.includes(audience) : aud === audience;
  return claims.client_id === audience;
}

/**
 * The one verifier of a function instance: HS256 with the shared secret and/or RS256/ES256 with the
 * issuer's keys. The header's `alg` only routes the token to one of the two; each path then admits
 * its own algorithms alone, so a token "HS256-signed with the issuer's public key" meets the HMAC
 * check with the secret (and fails), never the public key.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { hs256Secret, oidc } = options;
  if (hs256Secret === undefined && oidc === undefined) {
    throw new ConfigurationError(
      'missing configuration: JWT_SECRET, JWT_SECRET_ARN or JWT_ISSUER must be set',
    );
  }
  const admin = options.admin ?? DEFAULT_ADMIN_MAPPING;
  const nowMs = options.nowMs ?? Date.now;
  const verified = new Map<string, { user: AuthenticatedUser; validUntil: number }>();

  const verifyWithIssuer = async (token: string, issuer: OidcOptions): Promise<Record<string, unknown>> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys.getKey, {
        issuer: issuer.issuer,
        algorithms: [...ISSUER_ALGORITHMS],
        clockTolerance: JWT_LEEWAY_SECONDS,
        currentDate: new Date(nowMs()),
      }));
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError || error instanceof UnauthorizedError) throw error;
      throw new UnauthorizedError('invalid or expired token');
    }
    if (issuer.audience !== undefined && !audienceMatches(payload, issuer.audience)) {
      throw new UnauthorizedError('token is for another audience');
    }
    return payload;
  };

  return {
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      const cached = verified.get(token);
      if (cached && cached.validUntil > nowMs()) return cached.user;
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new UnauthorizedError('invalid token');
      }
      let claims: Record<string, unknown>;
      if (alg === 'HS256' && hs256Secret !== undefined) {
        try {
          claims = verifyHs256(token, hs256Secret);
        } catch {
          throw new UnauthorizedError('invalid or expired token');
        }
      } else if (oidc && ISSUER_ALGORITHMS.some((allowed) => allowed === alg)) {
        claims = await verifyWithIssuer(token, oidc);
      } else {
        throw new UnauthorizedError('token algorithm not accepted');
      }
      const user = userFromClaims(claims, nowMs(), admin);
      if (verified.size >= VERIFIED_CACHE_LIMIT) verified.clear();
      verified.set(token, {
        user,
        validUntil: Math.min(
          ((claims.exp as number) + JWT_LEEWAY_SECONDS) * 1000,
          nowMs() + VERIFIED_CACHE_MS,
        ),
      });
      return user;
    },
  };
}

/** API.md v1.2: without JWT_JWKS_URL, the issuer's `/.well-known/jwks.json` (Cognito's place; Auth0's too). */
export function jwksUrlOf(env: Pick<Environment, 'JWT_ISSUER' | 'JWT_JWKS_URL'>): string | undefined {
  if (env.JWT_JWKS_URL) return env.JWT_JWKS_URL;
  if (!env.JWT_ISSUER) return undefined;
  return `${env.JWT_ISSUER.replace(/\/+$/, '')}/.well-known/jwks.json`;
}

/**
 * The verifier from configuration, once per cold start (http and ws). The first JWKS fetch starts
 * here, so the first request seldom waits; a failure is remembered (cooldown), not thrown.
 */
export async function createTokenVerifierFromEnvironment(
  env: Environment,
  keyOptions: Partial<JwksKeyStoreOptions> = {},
): Promise<TokenVerifier> {
  const hasSecret = Boolean(env.JWT_SECRET || env.JWT_SECRET_ARN);
  const hs256Secret = hasSecret ? await resolveSecret(env, 'JWT_SECRET', 'JWT_SECRET_ARN') : undefined;
  const jwksUrl = jwksUrlOf(env);
  let oidc: OidcOptions | undefined;
  if (env.JWT_ISSUER && jwksUrl) {
    const keys = new JwksKeyStore({ url: jwksUrl, timeoutMs: env.JWT_JWKS_TIMEOUT_MS, ...keyOptions });
    void keys.warm();
    oidc = {
      issuer: env.JWT_ISSUER,
      keys,
      ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
    };
  }
  return createTokenVerifier({
    ...(hs256Secret === undefined ? {} : { hs256Secret }),
    ...(oidc ? { oidc } : {}),
    admin: { claim: env.JWT_ADMIN_CLAIM, value: env.JWT_ADMIN_VALUE },
  });
}
