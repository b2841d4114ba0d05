/**
 * User-wide claims of Idempotency-Keys. The entity's script stores the decision itself; the claim
 * only makes sure a key reused on another entity or route is recognised as reused.
 */
export interface IdempotencyClaims {
  /** 'new' or 'same' (same fingerprint seen before): go on; 'different': the key was reused. */
  claim(userId: string, key: string, fingerprint: string): Promise<'new' | 'same' | 'different'>;
}
