import type { RedisClient } from '../../client.js';
import { sourceKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './ws-admit-connection.lua';

const admitConnection = luaScript('wsAdmitConnection', source);

/** Admits a connection unless its source address holds `maxPerSource` live ones already. */
export async function runAdmitConnection(
  redis: RedisClient,
  sourceIp: string,
  args: { connectionId: string; expiresAt: number; maxPerSource: number },
): Promise<boolean> {
  const reply = await admitConnection.run(
    redis,
    [sourceKeys(sourceIp).connections],
    [args.connectionId, Math.round(args.expiresAt), args.maxPerSource],
  );
  return reply === 1;
}
