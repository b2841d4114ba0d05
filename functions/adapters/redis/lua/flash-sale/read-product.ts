import { type OrderRecord, parseOrderRecord, parseProductRecord } from '../../../../domain/product-record.js';
import type { ReadProductOutcome } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import type { RawProduct } from './product-step.js';
import source from './read-product.lua';

export const readProductScript = luaScript('readProduct', source);

export async function runReadProduct(
  redis: RedisClient,
  productId: string,
  orderId = '',
): Promise<ReadProductOutcome> {
  const keys = productKeys(productId);
  const reply = await readProductScript.runJson<{
    now: number;
    product?: RawProduct;
    order?: OrderRecord;
    fenced?: boolean;
  }>(redis, [keys.state, keys.orders, keys.fence], [orderId]);
  return {
    now: reply.now,
    product: reply.product ? parseProductRecord(reply.product) : null,
    fenced: reply.fenced === true,
    order: reply.order ? parseOrderRecord(reply.order) : null,
  };
}
