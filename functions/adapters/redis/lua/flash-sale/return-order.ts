import type { Order } from '../../../../domain/product.js';
import type { OrderRecord } from '../../../../domain/product-record.js';
import type { RedisClient } from '../../client.js';
import { orderKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './return-order.lua';

const returnOrderScript = luaScript('returnOrder', source);

export async function runReturnOrder(redis: RedisClient, order: Order): Promise<boolean> {
  const record: OrderRecord = {
    id: order.id,
    productId: order.productId,
    userId: order.userId,
    qty: order.qty,
    amount: String(order.amount),
    status: order.status,
    createdAt: order.createdAt,
    expiresAt: order.expiresAt,
    paidAt: order.paidAt ?? 0,
    refundRequired: order.refundRequired,
  };
  const keys = productKeys(order.productId);
  const reply = await returnOrderScript.run(
    redis,
    [keys.state, keys.orders, orderKeys(order.id).pointer],
    [JSON.stringify(record), order.productId],
  );
  return reply === 1;
}
