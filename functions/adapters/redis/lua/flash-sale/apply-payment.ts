import { ulid } from 'ulid';
import {
  type OrderRecord,
  type PaymentRecord,
  parseOrderRecord,
  parseProductRecord,
} from '../../../../domain/product-record.js';
import type { PaymentEvent, PaymentOutcome } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { deciding, RUN_KEPT_SECONDS } from '../../lua-script.js';
import { orderKeys, productCoreKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './apply-payment.lua';
import type { RawProduct, RawStep } from './product-step.js';

export const applyPaymentScript = luaScript('applyPayment', source);

type RawReply = RawStep<
  | { ok: true; status: 'applied'; payment: PaymentRecord; order: OrderRecord; product: RawProduct }
  | { ok: true; status: 'duplicate'; payment: PaymentRecord }
  | { ok: false; code: 'product_not_found' | 'product_unavailable' | 'order_not_found' }
>;

/** `requestId` names this request's run (a new one per call unless given: see apply-payment.lua). */
export async function runApplyPayment(
  redis: RedisClient,
  args: { productId: string; event: PaymentEvent; eventLogLength: number; requestId?: string },
): Promise<PaymentOutcome> {
  const keys = productKeys(args.productId);
  const raw = await deciding(
    applyPaymentScript.runJson<RawReply>(
      redis,
      [
        ...productCoreKeys(args.productId),
        keys.fence,
        keys.payments,
        orderKeys(args.event.orderId).pending,
        keys.run(args.requestId ?? ulid()),
      ],
      [
        args.event.id,
        args.event.type,
        args.event.orderId,
        String(args.event.amount),
        args.eventLogLength,
        RUN_KEPT_SECONDS,
      ],
    ),
  );
  if (raw.ok && raw.status === 'applied') {
    return { ...raw, order: parseOrderRecord(raw.order), product: parseProductRecord(raw.product) };
  }
  return raw;
}
