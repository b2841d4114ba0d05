import { ulid } from 'ulid';
import { type OrderRecord, parseOrderRecord, parseProductRecord } from '../../../../domain/product-record.js';
import type { CancelOutcome } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { deciding, RUN_KEPT_SECONDS } from '../../lua-script.js';
import { productCoreKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './cancel-order.lua';
import type { RawProduct, RawStep } from './product-step.js';

export const cancelOrderScript = luaScript('cancelOrder', source);

type RawReply = RawStep<
  | { ok: true; product: RawProduct; order: OrderRecord }
  | { ok: false; code: 'product_not_found' | 'product_unavailable' | 'order_not_found' }
  | { ok: false; code: 'order_not_cancellable'; product: RawProduct; order: OrderRecord }
>;

/** `requestId` names this request's run (a new one per call unless given: see cancel-order.lua). */
export async function runCancelOrder(
  redis: RedisClient,
  args: { productId: string; orderId: string; userId: string; eventLogLength: number; requestId?: string },
): Promise<CancelOutcome> {
  const keys = productKeys(args.productId);
  const raw = await deciding(
    cancelOrderScript.runJson<RawReply>(
      redis,
      [...productCoreKeys(args.productId), keys.fence, keys.run(args.requestId ?? ulid())],
      [args.orderId, args.userId, args.eventLogLength, RUN_KEPT_SECONDS],
    ),
  );
  if (raw.ok || raw.code === 'order_not_cancellable') {
    return { ...raw, product: parseProductRecord(raw.product), order: parseOrderRecord(raw.order) };
  }
  return raw;
}
