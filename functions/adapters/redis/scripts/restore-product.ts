import type { OrderRecord } from '../../../domain/product-record.js';
import type { ArchivedProduct } from '../../../ports/product-store.js';
import type { RedisClient } from '../client.js';
import { orderKeys, productCoreKeys, productKeys } from '../redis-keys.js';
import { productScript } from './product-script.js';
import source from './restore-product.lua';

// Takes one pointer key per archived order after the core keys: a variable number of keys.
export const restoreProductScript = productScript('restoreProduct', source, 'variable');

const int = (value: number | null) => (value === null ? '' : String(value));

export async function runRestoreProduct(
  redis: RedisClient,
  args: ArchivedProduct & { eventLogLength: number },
): Promise<boolean> {
  const { product, orders } = args;
  const record = {
    id: product.id,
    name: product.name,
    price: int(product.price),
    stock: int(product.stock),
    available: int(product.available),
    perUserLimit: int(product.perUserLimit),
    saleStartsAt: int(product.saleStartsAt),
    saleEndsAt: int(product.saleEndsAt),
    reservationTtlSeconds: int(product.reservationTtlSeconds),
    seq: int(product.seq),
    createdAt: int(product.createdAt),
  };
  const orderRecords: OrderRecord[] = orders.map((order) => ({
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
  }));
  const reply = await restoreProductScript.runJson<{ restored: boolean }>(
    redis,
    [
      ...productCoreKeys(product.id),
      productKeys(product.id).fence,
      ...orders.map((order) => orderKeys(order.id).pointer),
    ],
    [JSON.stringify(record), JSON.stringify(orderRecords), args.eventLogLength],
  );
  return reply.restored;
}
