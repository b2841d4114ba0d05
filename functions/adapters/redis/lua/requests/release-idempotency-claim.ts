import type { RedisClient } from '../../client.js';
import { idempotencyClaimKey } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './release-idempotency-claim.lua';

const releaseScript = luaScript('releaseIdempotencyClaim', source);

/** Drops the user's claim of `key` if it is still the one made with `fingerprint`. */
export async function runReleaseIdempotencyClaim(
  redis: RedisClient,
  userId: string,
  key: string,
  fingerprint: string,
): Promise<boolean> {
  return (await releaseScript.run(redis, [idempotencyClaimKey(userId, key)], [fingerprint])) === 1;
}
