import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-finish-part.lua';

const finishPart = luaScript('registryFinishPart', source, 2);

/** Parts still running after this one; 0 when this part ended the wave, -1 when it was over. */
export async function runFinishPart(redis: RedisClient, keys: TopicKeys, token: string): Promise<number> {
  return Number(await finishPart.run(redis, [keys.lease, keys.parts], [token]));
}
