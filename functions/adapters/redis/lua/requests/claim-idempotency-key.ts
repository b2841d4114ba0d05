import type { RedisClient } from '../../client.js';
import { idempotencyClaimKey, userRateLimitKey } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './claim-idempotency-key.lua';

const claimScript = luaScript('claimIdempotencyKey', source);

/** The script's reply: see claim-idempotency-key.lua. */
export type ClaimReply = [string, (number | string)?];

/** Counts the user's request and, with a fingerprint, claims `key` user-wide (optionally bound to `decision`). */
export async function runClaimIdempotencyKey(
  redis: RedisClient,
  userId: string,
  key: string,
  args: { max: number; windowMs: number; fingerprint: string; claimTtlSeconds: number; decision: string },
): Promise<ClaimReply> {
  return (await claimScript.run(
    redis,
    [userRateLimitKey(userId), idempotencyClaimKey(userId, key)],
    [args.max, args.windowMs, args.fingerprint, args.claimTtlSeconds, args.decision],
  )) as ClaimReply;
}
