import type { RedisClient } from '../client.js';
import { LuaScript } from '../lua-script.js';
import { productKeys } from '../redis-keys.js';
import source from './fence-product.lua';

export const fenceProductScript = new LuaScript('fenceProduct', source);

export function runFenceProduct(
  redis: RedisClient,
  productId: string,
): Promise<{ exists: true } | { exists: false; since: number; now: number; outboxPending: number }> {
  const keys = productKeys(productId);
  return fenceProductScript.runJson(redis, [keys.state, keys.fence, keys.outbox], []);
}
