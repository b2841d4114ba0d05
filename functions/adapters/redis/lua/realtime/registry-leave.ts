import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-leave.lua';

const leave = luaScript('registryLeave', source, 2);

export async function runLeave(
  redis: RedisClient,
  keys: TopicKeys,
  connectionIds: readonly string[],
): Promise<number> {
  if (connectionIds.length === 0) return 0;
  return Number(await leave.run(redis, [keys.conns, keys.floors], connectionIds));
}
