import type { RedisClient } from '../../client.js';
import type { TopicKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './registry-claim-wave.lua';

const claimWave = luaScript('registryClaimWave', source, 4);

export type ClaimWaveReply = { status: 'stale' | 'busy' | 'claimed'; pushed: number };

export async function runClaimWave(
  redis: RedisClient,
  keys: TopicKeys,
  args: { seq: number; token: string; leaseMs: number; now: number; topicTtlMs: number; pruneLimit: number },
): Promise<ClaimWaveReply> {
  const reply = (await claimWave.run(
    redis,
    [keys.conns, keys.floors, keys.pushed, keys.lease],
    [args.seq, args.token, args.leaseMs, Math.round(args.now), args.topicTtlMs, args.pruneLimit],
  )) as [string, number];
  const [status, pushed] = reply;
  if (status === 'claimed' || status === 'stale' || status === 'busy')
    return { status, pushed: Number(pushed) };
  throw new Error(`registryClaimWave: unexpected reply ${String(status)}`);
}
