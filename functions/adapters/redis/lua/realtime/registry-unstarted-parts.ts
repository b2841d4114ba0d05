import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-unstarted-parts.lua';

const unstartedParts = luaScript('registryUnstartedParts', source, 1);

export async function runUnstartedParts(
  redis: RedisClient,
  keys: TopicKeys,
): Promise<{ token: string; indexes: number[] } | null> {
  const reply = (await unstartedParts.run(redis, [keys.parts], [])) as string[];
  const [token, ...indexes] = reply;
  return token ? { token, indexes: indexes.map(Number) } : null;
}
