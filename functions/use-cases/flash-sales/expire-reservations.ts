import { type FlashSaleDeps, publishProductEvents } from './flash-sale-use-cases.js';
import { applyParkedPayments } from './receive-payment.js';

export interface ExpiryRunSummary {
  products: number;
  expired: number;
  parkedApplied: number;
}

const PRODUCTS_PER_PAGE = 100;
const PARALLEL = 16;

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

/**
 * The sweeper's pass over flash sales: expires the overdue reservations of every product whose check
 * is due (stock returns exactly once: the script only expires orders that are still reserved), then
 * applies payment events parked for orders that have appeared since. One product failing does not
 * stop the others; it stays due and is retried on the next run.
 */
export async function expireReservations(
  deps: FlashSaleDeps,
  options: { nowMs?: number; maxProducts?: number } = {},
): Promise<ExpiryRunSummary> {
  const nowMs = options.nowMs ?? Date.now();
  const maxProducts = options.maxProducts ?? 10_000;
  const summary: ExpiryRunSummary = { products: 0, expired: 0, parkedApplied: 0 };
  const seen = new Set<string>();
  while (summary.products < maxProducts) {
    const due = (await deps.products.productsDueForExpiry(nowMs, PRODUCTS_PER_PAGE)).filter(
      (id) => !seen.has(id),
    );
    if (due.length === 0) break;
    await inParallel(due, async (productId) => {
      seen.add(productId);
      summary.products++;
      try {
        const outcome = await deps.products.expireOverdue(productId);
        await publishProductEvents(deps, outcome.events);
        if (outcome.ok) {
          summary.expired += outcome.expired;
          await deps.products.scheduleExpiryCheck(productId, 'done' in outcome ? null : outcome.nextCheck);
        } else if (outcome.code === 'product_not_found') {
          // Never created (a failed create leaves its intent) or lost: a rebuild re-indexes it.
          await deps.products.scheduleExpiryCheck(productId, null);
        }
      } catch (error) {
        deps.logger.warn('expiry failed for a product; retried on the next run', {
          productId,
          error: String(error),
        });
      }
    });
  }
  summary.parkedApplied = await applyAppearedParkedPayments(deps);
  return summary;
}

async function applyAppearedParkedPayments(deps: FlashSaleDeps): Promise<number> {
  let applied = 0;
  const orderIds = await deps.products.ordersWithParkedPayments(1_000);
  await inParallel(orderIds, async (orderId) => {
    try {
      const productId = await deps.products.productOfOrder(orderId);
      if (productId === null) {
        if ((await deps.products.parkedPayments(orderId)).length === 0) {
          await deps.products.forgetParkedOrder(orderId); // expired unclaimed
        }
        return;
      }
      applied += await applyParkedPayments(deps, orderId, productId);
    } catch (error) {
      deps.logger.warn('parked payments not applied; retried on the next run', {
        orderId,
        error: String(error),
      });
    }
  });
  return applied;
}
