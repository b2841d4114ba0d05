import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-activate.lua';

const activate = luaScript('registryActivate', source, 3);

export type ActivateReply = { status: 'active' | 'behind' | 'gone'; pushed: number };

export async function runActivate(
  redis: RedisClient,
  keys: TopicKeys,
  args: { connectionId: string; seq: number; pendingUntil: number; force: boolean },
): Promise<ActivateReply> {
  const reply = (await activate.run(
    redis,
    [keys.conns, keys.floors, keys.pushed],
    [args.connectionId, args.seq, Math.round(args.pendingUntil), args.force ? '1' : '0'],
  )) as [string, number];
  const status = reply[0];
  if (status !== 'active' && status !== 'behind' && status !== 'gone') {
    throw new Error(`registryActivate: unexpected reply ${String(status)}`);
  }
  return { status, pushed: Number(reply[1]) };
}
