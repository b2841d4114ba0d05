import { type OrderRecord, parseOrderRecord, parseProductRecord } from '../../../domain/product-record.js';
import type { CancelOutcome } from '../../../ports/product-store.js';
import type { RedisClient } from '../client.js';
import { productCoreKeys, productKeys } from '../redis-keys.js';
import source from './cancel-order.lua';
import { productScript, type RawProduct, type RawStep } from './product-script.js';

export const cancelOrderScript = productScript('cancelOrder', source);

type RawReply = RawStep<
  | { ok: true; product: RawProduct; order: OrderRecord }
  | { ok: false; code: 'product_not_found' | 'product_unavailable' | 'order_not_found' }
  | { ok: false; code: 'order_not_cancellable'; product: RawProduct; order: OrderRecord }
>;

export async function runCancelOrder(
  redis: RedisClient,
  args: { productId: string; orderId: string; userId: string; eventLogLength: number },
): Promise<CancelOutcome> {
  const raw = await cancelOrderScript.runJson<RawReply>(
    redis,
    [...productCoreKeys(args.productId), productKeys(args.productId).fence],
    [args.orderId, args.userId, args.eventLogLength],
  );
  if (raw.ok || raw.code === 'order_not_cancellable') {
    return { ...raw, product: parseProductRecord(raw.product), order: parseOrderRecord(raw.order) };
  }
  return raw;
}
