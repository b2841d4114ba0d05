import type { RedisClient } from '../../client.js';
import { luaScript } from '../script.js';
import source from './registry-add-topic.lua';

const addTopic = luaScript('registryAddTopic', source, 1);

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
