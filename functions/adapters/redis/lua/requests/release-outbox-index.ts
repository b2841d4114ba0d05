import type { RedisClient } from '../../client.js';
import { OUTBOX_INDEX_KEY } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './release-outbox-index.lua';

const release = luaScript('releaseOutboxIndex', source);

/** Removes `member` from the outbox index only if its score is still `score` (no newer intent). */
export async function runReleaseOutboxIndex(
  redis: RedisClient,
  member: string,
  score: string,
): Promise<boolean> {
  return (await release.run(redis, [OUTBOX_INDEX_KEY], [member, score])) === 1;
}
