import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-start-part.lua';

const startPart = luaScript('registryStartPart', source, 2);

export type StartPartReply =
  | { status: 'started'; data: string; connectionIds: string[] }
  | { status: 'duplicate' | 'stale' };

export async function runStartPart(
  redis: RedisClient,
  keys: TopicKeys,
  args: { token: string; index: number; leaseMs: number },
): Promise<StartPartReply> {
  const reply = (await startPart.run(
    redis,
    [keys.lease, keys.parts],
    [args.token, args.index, args.leaseMs],
  )) as [string, string?, string?];
  const [status, data, ids] = reply;
  if (status === 'started' && typeof data === 'string' && typeof ids === 'string') {
    return { status, data, connectionIds: JSON.parse(ids) as string[] };
  }
  if (status === 'duplicate' || status === 'stale') return { status };
  throw new Error(`registryStartPart: unexpected reply ${String(status)}`);
}
