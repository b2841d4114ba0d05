import type { RedisClient } from '../../client.js';
import { productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './count-request.lua';

export const countRequestScript = luaScript('countRequest', source);

/** Counts one request on a fixed-window counter; the ms until the window ends when over `max`, else 0. */
export async function runCountRequest(
  redis: RedisClient,
  counterKey: string,
  limit: { max: number; windowMs: number },
): Promise<number> {
  if (limit.max <= 0) return 0;
  return Number(await countRequestScript.run(redis, [counterKey], [limit.max, limit.windowMs]));
}

/** Counts a user's request on a product; the ms until the window ends when over the limit, else 0. */
export function runCountProductRequest(
  redis: RedisClient,
  productId: string,
  userId: string,
  limit: { max: number; windowMs: number },
): Promise<number> {
  return runCountRequest(redis, productKeys(productId).rateLimit(userId), limit);
}
