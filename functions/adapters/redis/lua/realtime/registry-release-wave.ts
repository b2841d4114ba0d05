import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-release-wave.lua';

const releaseWave = luaScript('registryReleaseWave', source, 1);

export async function runReleaseWave(redis: RedisClient, keys: TopicKeys, token: string): Promise<boolean> {
  return (await releaseWave.run(redis, [keys.lease], [token])) === 1;
}
