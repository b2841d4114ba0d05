import type { Order } from '../../../../domain/product.js';
import type { RedisClient } from '../../client.js';
import { orderKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './evict-orders.lua';

// One pointer key per candidate after the orders hash: a variable number of keys.
const evictOrdersScript = luaScript('evictOrders', source, 'variable');

/** Drops the product's orders whose Redis copy equals `archived` (PostgreSQL's) and is settled. */
export function runEvictOrders(
  redis: RedisClient,
  productId: string,
  archived: readonly Order[],
): Promise<{ evicted: string[]; gone: string[] }> {
  return evictOrdersScript.runJson(
    redis,
    [productKeys(productId).orders, ...archived.map((order) => orderKeys(order.id).pointer)],
    [
      JSON.stringify(
        archived.map((order) => [order.id, order.status, order.refundRequired, order.paidAt ?? 0]),
      ),
    ],
  );
}
