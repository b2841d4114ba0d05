/** A request of a user over the user-wide rate limit: answer 429, nothing else was written. */
export type UserRateLimited = { status: 'rate_limited'; retryAfterMs: number };

/**
 * The user-wide side of bids and reservations: a rate limit per user across all entities, and the
 * user-wide claims of Idempotency-Keys. The entity's script stores the decision itself; the claim
 * only makes sure a key reused on another entity or route is recognised as reused.
 */
export interface IdempotencyClaims {
  /**
   * Counts the request toward the user's limit, then claims the key: 'new' or 'same' (same
   * fingerprint seen before): go on; 'different': the key was reused. `decision`, when given, is
   * bound to a new claim in the same step, and 'same' then hands it back to every later request
   * with the key (`decided`): the answer those must replay.
   */
  claim(
    userId: string,
    key: string,
    fingerprint: string,
    decision?: string,
  ): Promise<{ status: 'new' | 'different' } | { status: 'same'; decided?: string } | UserRateLimited>;
  /** Counts a request without a key toward the user's limit (before a PostgreSQL lookup). */
  admit(userId: string): Promise<{ status: 'admitted' } | UserRateLimited>;
  /** Gives back a claim this request made, when its entity turned out not to exist. */
  release(userId: string, key: string, fingerprint: string): Promise<void>;
}
