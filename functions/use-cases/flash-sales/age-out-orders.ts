import type { Order } from '../../domain/product.js';
import type { FlashSaleDeps } from './flash-sale-use-cases.js';

export interface AgeOutSettings {
  /** A settled order stays in Redis at least this long after its last change. */
  afterMs: number;
  /** Most orders looked at per run. */
  batch: number;
}

/**
 * 15 minutes: long enough that a settled order's usual follow-ups (a provider's retry, a late
 * second charge flagging a refund, the owner reading it) find it in Redis; after that it is read
 * from PostgreSQL and, for a webhook, brought back into its product first (returnOrder).
 */
export const DEFAULT_AGE_OUT_SETTINGS: AgeOutSettings = { afterMs: 15 * 60_000, batch: 500 };

/**
 * Issue 19 item 5: settled orders (paid, cancelled, expired) and their `{o:ID}` pointers leave Redis
 * once PostgreSQL holds their newest state; reads then fall back to PostgreSQL. An order whose last
 * change PostgreSQL does not have yet stays (and is looked at again next run); without a database
 * nothing is ever dropped. Units held for the per-user limit stay in the product's `held` hash.
 */
export async function ageOutSettledOrders(
  deps: Pick<FlashSaleDeps, 'products' | 'archive'>,
  settings: AgeOutSettings = DEFAULT_AGE_OUT_SETTINGS,
  nowMs: number = Date.now(),
): Promise<{ due: number; evicted: number }> {
  const due = await deps.products.settledOrdersDue(nowMs - settings.afterMs, settings.batch);
  if (due.length === 0) return { due: 0, evicted: 0 };
  const forget = due.filter((entry) => entry.productId === null).map((entry) => entry.orderId);
  const archived = await deps.archive.findOrders(
    due.filter((entry) => entry.productId !== null).map((entry) => entry.orderId),
  );
  const productOf = new Map(due.map((entry) => [entry.orderId, entry.productId]));
  const byProduct = new Map<string, Order[]>();
  for (const order of archived) {
    const productId = productOf.get(order.id);
    if (!productId || productId !== order.productId) continue;
    byProduct.set(productId, [...(byProduct.get(productId) ?? []), order]);
  }
  let evicted = 0;
  for (const [productId, orders] of byProduct) {
    const dropped = await deps.products.evictSettled(productId, orders);
    evicted += dropped.length;
    forget.push(...dropped);
  }
  await deps.products.forgetSettled(forget);
  return { due: due.length, evicted };
}
