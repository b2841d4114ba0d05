import type { IdempotencyClaims, UserRateLimited } from '../../ports/idempotency-claims.js';
import type { RedisClient } from './client.js';
import { type ClaimReply, runClaimIdempotencyKey } from './lua/requests/claim-idempotency-key.js';
import { runReleaseIdempotencyClaim } from './lua/requests/release-idempotency-claim.js';

const CLAIM_TTL_SECONDS = 24 * 60 * 60;

export interface UserRateLimit {
  /** Requests per user per window, 0 = no limit. */
  max: number;
  windowMs: number;
}

export const DEFAULT_USER_RATE_LIMIT: UserRateLimit = { max: 20, windowMs: 1_000 };

/** A never-written key of the user's slot stands in for the claim when the request has no key. */
const NO_KEY = '-';

export class RedisIdempotencyClaims implements IdempotencyClaims {
  constructor(
    private readonly redis: RedisClient,
    private readonly limit: UserRateLimit = DEFAULT_USER_RATE_LIMIT,
  ) {}

  private run(userId: string, key: string, fingerprint: string, decision = ''): Promise<ClaimReply> {
    return runClaimIdempotencyKey(this.redis, userId, key, {
      max: this.limit.max,
      windowMs: this.limit.windowMs,
      fingerprint,
      claimTtlSeconds: CLAIM_TTL_SECONDS,
      decision,
    });
  }

  async claim(
    userId: string,
    key: string,
    fingerprint: string,
    decision?: string,
  ): Promise<{ status: 'new' | 'different' } | { status: 'same'; decided?: string } | UserRateLimited> {
    const [status, detail] = await this.run(userId, key, fingerprint, decision);
    if (status === 'limited') return { status: 'rate_limited', retryAfterMs: Number(detail ?? 0) };
    if (status === 'same') return typeof detail === 'string' ? { status, decided: detail } : { status };
    if (status === 'new' || status === 'different') return { status };
    throw new Error(`claimIdempotencyKey: unexpected reply ${status}`);
  }

  async admit(userId: string): Promise<{ status: 'admitted' } | UserRateLimited> {
    const [status, retryAfterMs] = await this.run(userId, NO_KEY, '');
    if (status === 'limited') return { status: 'rate_limited', retryAfterMs: Number(retryAfterMs ?? 0) };
    if (status === 'admitted') return { status };
    throw new Error(`claimIdempotencyKey: unexpected reply ${status}`);
  }

  async release(userId: string, key: string, fingerprint: string): Promise<void> {
    await runReleaseIdempotencyClaim(this.redis, userId, key, fingerprint);
  }
}
