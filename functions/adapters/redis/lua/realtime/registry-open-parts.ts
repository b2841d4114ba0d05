import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-open-parts.lua';

const openParts = luaScript('registryOpenParts', source, 2);

export async function runOpenParts(
  redis: RedisClient,
  keys: TopicKeys,
  args: { token: string; leaseMs: number; data: string; receivers: readonly (readonly string[])[] },
): Promise<boolean> {
  const reply = await openParts.run(
    redis,
    [keys.lease, keys.parts],
    [args.token, args.leaseMs, args.data, ...args.receivers.map((ids) => JSON.stringify(ids))],
  );
  return reply === 1;
}
