import type { PaymentEvent } from '../../ports/product-store.js';
import { type FlashSaleDeps, publishProductEvents } from './flash-sale-use-cases.js';
import { productOfOrder } from './read-products.js';
import { ensureProduct, productUnavailable } from './recover-product.js';

export type WebhookStatus = 'applied' | 'duplicate' | 'pending';

/**
 * One payment provider event (signature already verified). The event applies to its order in one
 * atomic step of the order's product, de-duplicated there by event id. An event for an order that
 * is not visible yet is parked under the order's id and applied when the order appears (by the
 * reservation that creates it, or by the sweeper).
 */
export async function receivePayment(
  deps: FlashSaleDeps,
  event: PaymentEvent,
  afterRecovery = false,
): Promise<WebhookStatus> {
  // Redis' pointer, else PostgreSQL's: an order Redis lost with its product is not "not visible yet".
  let productId = await productOfOrder(deps, event.orderId);
  if (productId === null) {
    const parked = await deps.products.parkPayment(event);
    if (parked.parked) return parked.duplicate ? 'duplicate' : 'pending';
    productId = parked.productId;
  }
  const outcome = await deps.products.applyPayment(productId, event);
  await publishProductEvents(deps, outcome.events);
  if (outcome.ok) return outcome.status;
  switch (outcome.code) {
    case 'order_not_found': {
      // A settled order that aged out of Redis (or was not brought back by a rebuild): back into
      // its product from PostgreSQL, then decided as any order (a second charge flags a refund).
      const archived = afterRecovery ? null : await deps.archive.findOrder(event.orderId);
      if (archived && archived.productId === productId && (await deps.products.returnOrder(archived)))
        return receivePayment(deps, event, true);
      // The pointer exists but the product has no such order: keep the event rather than drop it.
      const parked = await deps.products.parkPayment(event);
      return parked.parked && parked.duplicate ? 'duplicate' : 'pending';
    }
    case 'product_unavailable':
    case 'product_not_found':
      // 503 while the product is fenced (the provider retries), else decided on the rebuilt state.
      await ensureProduct(deps, productId);
      if (afterRecovery) throw productUnavailable(productId, 1);
      return receivePayment(deps, event, true);
  }
}

/** Applies the events parked for an order that is visible now; returns how many were applied. */
export async function applyParkedPayments(
  deps: FlashSaleDeps,
  orderId: string,
  productId: string,
): Promise<number> {
  const events = await deps.products.parkedPayments(orderId);
  let applied = 0;
  for (const event of events) {
    const outcome = await deps.products.applyPayment(productId, event);
    await publishProductEvents(deps, outcome.events);
    if (outcome.ok && outcome.status === 'applied') applied++;
    if (!outcome.ok) {
      deps.logger.warn('parked payment not applied', { orderId, eventId: event.id, code: outcome.code });
      return applied;
    }
  }
  await deps.products.forgetParkedOrder(orderId);
  return applied;
}
