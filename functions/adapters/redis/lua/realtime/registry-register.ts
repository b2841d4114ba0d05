import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-register.lua';

const register = luaScript('registryRegister', source, 3);

/** Returns the token of the wave sending at this moment, or null. */
export async function runRegister(
  redis: RedisClient,
  keys: TopicKeys,
  args: { connectionId: string; expiresAt: number; pendingUntil: number; topicTtlMs: number },
): Promise<string | null> {
  const reply = await register.run(
    redis,
    [keys.conns, keys.floors, keys.lease],
    [args.connectionId, Math.round(args.expiresAt), Math.round(args.pendingUntil), args.topicTtlMs],
  );
  return typeof reply === 'string' && reply !== '' ? reply : null;
}
