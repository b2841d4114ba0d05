import type { RedisClient } from '../client.js';
import { LuaScript } from '../lua-script.js';
import { productKeys } from '../redis-keys.js';
import source from './count-request.lua';

export const countRequestScript = new LuaScript('countRequest', source);

/** Counts a user's request on a product; the ms until the window ends when over the limit, else 0. */
export async function runCountProductRequest(
  redis: RedisClient,
  productId: string,
  userId: string,
  limit: { max: number; windowMs: number },
): Promise<number> {
  if (limit.max <= 0) return 0;
  const reply = await countRequestScript.run(
    redis,
    [productKeys(productId).rateLimit(userId)],
    [limit.max, limit.windowMs],
  );
  return Number(reply);
}
