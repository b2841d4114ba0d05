import type { RedisClient } from '../../client.js';
import { connectionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './ws-admit-message.lua';

const admitMessage = luaScript('wsAdmitMessage', source);

/** Counts one inbound message of the connection: the count in this window and the ms left in it. */
export async function runAdmitMessage(
  redis: RedisClient,
  connectionId: string,
  window: { windowMs: number; max: number },
): Promise<{ count: number; msLeft: number }> {
  const [count, msLeft] = (await admitMessage.run(
    redis,
    [connectionKeys(connectionId).rate],
    [window.max, window.windowMs],
  )) as [number, number];
  return { count: Number(count), msLeft: Number(msLeft) };
}
