import type { IdempotencyClaims } from '../../ports/idempotency-claims.js';
import type { RedisClient } from './client.js';
import { idempotencyClaimKey } from './redis-keys.js';

const CLAIM_TTL_SECONDS = 24 * 60 * 60;

export class RedisIdempotencyClaims implements IdempotencyClaims {
  constructor(private readonly redis: RedisClient) {}

  async claim(userId: string, key: string, fingerprint: string): Promise<'new' | 'same' | 'different'> {
    const claimKey = idempotencyClaimKey(userId, key);
    const created = await this.redis.set(claimKey, fingerprint, 'EX', CLAIM_TTL_SECONDS, 'NX');
    if (created === 'OK') return 'new';
    const existing = await this.redis.get(claimKey);
    // Expired between the two calls: the key is free again.
    if (existing === null) return this.claim(userId, key, fingerprint);
    return existing === fingerprint ? 'same' : 'different';
  }
}
