import type { RedisClient } from '../../client.js';
import { productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './fence-product.lua';

export const fenceProductScript = luaScript('fenceProduct', source);

export function runFenceProduct(
  redis: RedisClient,
  productId: string,
): Promise<{ exists: true } | { exists: false; since: number; now: number; outboxPending: number }> {
  const keys = productKeys(productId);
  return fenceProductScript.runJson(redis, [keys.state, keys.fence, keys.outbox], []);
}
