import { IdempotencyKeyReusedError, NotFoundError, RateLimitedError } from '../../domain/errors.js';
import type { IdempotencyClaims } from '../../ports/idempotency-claims.js';

type Idempotency = { key: string; fingerprint: string } | null;

/** What the request's user-wide step did: claimed its key ('new'), found its own claim, or none. */
export type UserClaim = 'new' | 'same' | null;

export const rateLimited = (retryAfterMs: number) =>
  new RateLimitedError(Math.max(1, Math.ceil(retryAfterMs / 1000)));

/**
 * Runs a bid or a reservation under the user-wide rules (issue 19): a request with an
 * Idempotency-Key counts toward the user's rate limit and claims its key before anything else is
 * written (one script, the user's slot); a request that names an entity Redis does not know counts
 * before the PostgreSQL lookup (`admitMiss`); a claim made for an entity that does not exist is
 * given back, so requests for unknown ids leave nothing behind. Requests without a key on existing
 * entities cost nothing extra: the entity's script limits them per user. A key whose claim carries
 * its decision (bound when it was answered without the entity's script) replays that decision
 * (`replayDecided`).
 */
export async function underUserRules<T>(
  claims: IdempotencyClaims,
  userId: string,
  idempotency: Idempotency,
  work: (admitMiss: () => Promise<void>) => Promise<T>,
  replayDecided?: (decided: string) => Promise<T>,
): Promise<T> {
  let claim: UserClaim = null;
  if (idempotency) {
    const outcome = await claims.claim(userId, idempotency.key, idempotency.fingerprint);
    if (outcome.status === 'rate_limited') throw rateLimited(outcome.retryAfterMs);
    if (outcome.status === 'different') throw new IdempotencyKeyReusedError();
    if (outcome.status === 'same' && outcome.decided !== undefined && replayDecided) {
      return replayDecided(outcome.decided);
    }
    claim = outcome.status;
  }
  const admitMiss = async () => {
    if (claim !== null) return;
    const outcome = await claims.admit(userId);
    if (outcome.status === 'rate_limited') throw rateLimited(outcome.retryAfterMs);
  };
  try {
    return await work(admitMiss);
  } catch (error) {
    if (claim === 'new' && idempotency && error instanceof NotFoundError) {
      await claims.release(userId, idempotency.key, idempotency.fingerprint);
    }
    throw error;
  }
}
