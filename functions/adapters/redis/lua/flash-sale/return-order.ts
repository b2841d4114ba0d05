import type { Order } from '../../../../domain/product.js';
import { orderRecordOf } from '../../../../domain/product-record.js';
import type { RedisClient } from '../../client.js';
import { orderKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './return-order.lua';

const returnOrderScript = luaScript('returnOrder', source);

export async function runReturnOrder(redis: RedisClient, order: Order): Promise<boolean> {
  const record = orderRecordOf(order);
  const keys = productKeys(order.productId);
  const reply = await returnOrderScript.run(
    redis,
    [keys.state, keys.orders, orderKeys(order.id).pointer],
    [JSON.stringify(record), order.productId],
  );
  return reply === 1;
}
