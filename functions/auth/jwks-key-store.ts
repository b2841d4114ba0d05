import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters } from 'jose';
import { SigningKeysUnavailableError, UnauthorizedError } from '../domain/errors.js';

/** What jose's key selection hands to `jwtVerify` (a CryptoKey or a KeyObject). */
type VerificationKey = Awaited<ReturnType<ReturnType<typeof createLocalJWKSet>>>;

export interface JwksKeyStoreOptions {
  url: string;
  /** At least this long between two fetches, whatever happens (API.md: at most once per 30 s). */
  cooldownMs?: number;
  /** After this long, the next request refreshes the keys in the background (removed keys go). */
  maxAgeMs?: number;
  /** A fetch that takes longer is an outage. */
  timeoutMs?: number;
  /** Injectable for tests (rotation after 30 s without waiting 30 s). */
  nowMs?: () => number;
  /** Called after every fetch attempt, for logs and metrics. */
  onFetch?: (outcome: { ok: boolean; error?: string }) => void;
}

export const JWKS_COOLDOWN_MS = 30_000;
const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 3_000;
/** A JWKS is a few keys; a bigger answer is not one (and must not fill this instance's memory). */
const JWKS_MAX_BYTES = 256 * 1024;

/**
 * The issuer's signing keys, cached per instance, and the policy of fetching them.
 *
 * jose selects the key for a token (`kid`, `kty`, `alg`, `use`) from the cached set, and
 * verifies; the fetching is here rather than in jose's `createRemoteJWKSet` because its cooldown
 * counts from the last *successful* fetch and a refresh that fails drops the cached keys once they
 * are older than `cacheMaxAge`: during a JWKS outage every unknown `kid` would refetch (and wait for
 * the timeout), and tokens of cached keys would start failing. Here:
 * - fetches start at least `cooldownMs` apart, counted from the last *attempt*, failed or not, and
 *   concurrent requests share the one in flight;
 * - a failed fetch never drops keys already cached: their tokens keep working;
 * - an unknown `kid` refetches (if the cooldown allows) and is a 401 only when a fetch that
 *   succeeded does not list it; when the keys could not be fetched it is a 503 with Retry-After.
 */
export class JwksKeyStore {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptFailed = false;
  private inFlight: Promise<void> | undefined;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly nowMs: () => number;

  constructor(private readonly options: JwksKeyStoreOptions) {
    this.cooldownMs = options.cooldownMs ?? JWKS_COOLDOWN_MS;
    this.maxAgeMs = options.maxAgeMs ?? JWKS_MAX_AGE_MS;
    this.timeoutMs = options.timeoutMs ?? JWKS_TIMEOUT_MS;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Starts the first fetch at cold start, so the first request seldom waits for it. */
  warm(): Promise<void> {
    return this.refresh();
  }

  /** The key for a token's protected header: jose's `jwtVerify` calls it. */
  readonly getKey = async (header: JWTHeaderParameters): Promise<VerificationKey> => {
    const cached = await this.select(header);
    if (cached) {
      if (this.nowMs() - this.fetchedAt >= this.maxAgeMs && this.mayFetch()) void this.refresh();
      return cached;
    }
    if (this.inFlight) {
      await this.inFlight;
    } else if (this.mayFetch()) {
      await this.refresh();
    } else {
      return this.afterMiss(header);
    }
    return (await this.select(header)) ?? this.afterMiss(header);
  };

  private mayFetch(): boolean {
    return this.nowMs() - this.attemptedAt >= this.cooldownMs;
  }

  /** No cached key and no fetch allowed now: unknown for sure (401), or unknown because of an outage (503). */
  private afterMiss(header: JWTHeaderParameters): never {
    if (this.lastAttemptFailed || !this.keys) {
      const waitMs = Math.max(0, this.attemptedAt + this.cooldownMs - this.nowMs());
      throw new SigningKeysUnavailableError(Math.max(1, Math.ceil(waitMs / 1000)));
    }
    throw new UnauthorizedError(
      header.kid === undefined ? 'no signing key matches the token' : 'unknown signing key',
    );
  }

  private async select(header: JWTHeaderParameters): Promise<VerificationKey | undefined> {
    if (!this.keys) return undefined;
    try {
      // jose imports each JWK once per algorithm and keeps it: a cached key costs no import.
      return await this.keys(header);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return undefined;
      // Several keys match a token without `kid`: ambiguous, refused.
      throw new UnauthorizedError('the token does not name its signing key');
    }
  }

  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.attemptedAt = this.nowMs();
    const attempt = this.fetchKeys().then(
      (jwks) => {
        this.keys = createLocalJWKSet(jwks);
        this.fetchedAt = this.nowMs();
        this.lastAttemptFailed = false;
        this.options.onFetch?.({ ok: true });
      },
      (error: unknown) => {
        this.lastAttemptFailed = true;
        this.options.onFetch?.({ ok: false, error: error instanceof Error ? error.message : String(error) });
      },
    );
    this.inFlight = attempt.finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<JSONWebKeySet> {
    const response = await fetch(this.options.url, {
      headers: { accept: 'application/jwk-set+json, application/json' },
      // A redirect would let whoever answers the JWKS URL point it elsewhere.
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS answered ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > JWKS_MAX_BYTES) throw new Error('JWKS too large');
    const text = await response.text();
    if (text.length > JWKS_MAX_BYTES) throw new Error('JWKS too large');
    const jwks = JSON.parse(text) as unknown;
    if (
      typeof jwks !== 'object' ||
      jwks === null ||
      !Array.isArray((jwks as { keys?: unknown }).keys) ||
      !(jwks as { keys: unknown[] }).keys.every((key) => typeof key === 'object' && key !== null)
    ) {
      throw new Error('not a JWKS');
    }
    return jwks as JSONWebKeySet;
  }
}
