import type { RedisClient } from '../client.js';
import { LuaScript } from '../lua-script.js';
import type { topicKeys } from '../redis-keys.js';
import activateSource from './registry-activate.lua';
import addTopicSource from './registry-add-topic.lua';
import claimWaveSource from './registry-claim-wave.lua';
import finishPartSource from './registry-finish-part.lua';
import leaveSource from './registry-leave.lua';
import openPartsSource from './registry-open-parts.lua';
import registerSource from './registry-register.lua';
import releaseWaveSource from './registry-release-wave.lua';
import startPartSource from './registry-start-part.lua';
import unstartedPartsSource from './registry-unstarted-parts.lua';

/** One typed wrapper per connection-registry script; keys are built by `connection-registry.ts`. */

const addTopic = new LuaScript('registryAddTopic', addTopicSource, 1);
const register = new LuaScript('registryRegister', registerSource, 3);
const activate = new LuaScript('registryActivate', activateSource, 3);
const claimWave = new LuaScript('registryClaimWave', claimWaveSource, 4);
const releaseWave = new LuaScript('registryReleaseWave', releaseWaveSource, 1);
const leave = new LuaScript('registryLeave', leaveSource, 2);
const openParts = new LuaScript('registryOpenParts', openPartsSource, 2);
const startPart = new LuaScript('registryStartPart', startPartSource, 2);
const finishPart = new LuaScript('registryFinishPart', finishPartSource, 2);
const unstartedParts = new LuaScript('registryUnstartedParts', unstartedPartsSource, 1);

export type TopicKeys = ReturnType<typeof topicKeys>;

export async function runAddTopic(
  redis: RedisClient,
  connectionTopicsKey: string,
  args: { topic: string; maxTopics: number; expiresAt: number },
): Promise<'added' | 'exists' | 'limit'> {
  const reply = await addTopic.run(
    redis,
    [connectionTopicsKey],
    [args.topic, args.maxTopics, Math.round(args.expiresAt)],
  );
  if (reply !== 'added' && reply !== 'exists' && reply !== 'limit') {
    throw new Error(`registryAddTopic: unexpected reply ${String(reply)}`);
  }
  return reply;
}

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

export async function runReleaseWave(redis: RedisClient, keys: TopicKeys, token: string): Promise<boolean> {
  return (await releaseWave.run(redis, [keys.lease], [token])) === 1;
}

export async function runLeave(
  redis: RedisClient,
  keys: TopicKeys,
  connectionIds: readonly string[],
): Promise<number> {
  if (connectionIds.length === 0) return 0;
  return Number(await leave.run(redis, [keys.conns, keys.floors], connectionIds));
}

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

/** Parts still running after this one; 0 when this part ended the wave, -1 when it was over. */
export async function runFinishPart(redis: RedisClient, keys: TopicKeys, token: string): Promise<number> {
  return Number(await finishPart.run(redis, [keys.lease, keys.parts], [token]));
}

export async function runUnstartedParts(
  redis: RedisClient,
  keys: TopicKeys,
): Promise<{ token: string; indexes: number[] } | null> {
  const reply = (await unstartedParts.run(redis, [keys.parts], [])) as string[];
  const [token, ...indexes] = reply;
  return token ? { token, indexes: indexes.map(Number) } : null;
}
