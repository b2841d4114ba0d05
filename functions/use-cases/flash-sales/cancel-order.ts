import { ConflictError, UnavailableError } from '../../domain/errors.js';
import { type Order, type OrderView, orderStatus, toOrderView } from '../../domain/product.js';
import { type FlashSaleDeps, publishProductEvents } from './flash-sale-use-cases.js';
import { archivedOrder, orderNotFound, productOfOrder, unknownOrderError } from './read-products.js';
import { ensureProduct } from './recover-product.js';

const notCancellable = (order: Order, now: number) => {
  const status = orderStatus(order, now);
  return new ConflictError('order_not_cancellable', `the order is ${status} and cannot be cancelled`, {
    status,
  });
};

/** The owner cancels a reserved order; the units return to stock in the same atomic step. */
export async function cancelOrder(
  deps: FlashSaleDeps,
  orderId: string,
  userId: string,
  afterRecovery = false,
): Promise<OrderView> {
  const productId = await productOfOrder(deps, orderId);
  if (productId === null) throw await unknownOrderError(deps, orderId);
  const outcome = await deps.products.cancel(productId, orderId, userId);
  await publishProductEvents(deps, outcome.events);
  if (outcome.ok) {
    // Its units are back: this instance must not answer "sold out" from memory any longer.
    deps.soldOut?.forget(productId);
    return toOrderView(outcome.order, outcome.now);
  }
  switch (outcome.code) {
    case 'order_not_found': {
      // Redis holds the product but not the order: a settled order that aged out (final in
      // PostgreSQL), never a live one (a rebuild restores every live order).
      const archived = await archivedOrder(deps, orderId);
      if (!archived || archived.userId !== userId) throw orderNotFound(orderId);
      if (orderStatus(archived, outcome.now) !== 'reserved') throw notCancellable(archived, outcome.now);
      throw new UnavailableError('order_unavailable', `order ${orderId} is being restored, retry shortly`, 1);
    }
    case 'order_not_cancellable':
      throw notCancellable(outcome.order, outcome.now);
    case 'product_unavailable':
    case 'product_not_found':
      // Lost by Redis: 404 if PostgreSQL does not know the product either, 503 while fenced,
      // else rebuilt now and the cancel is decided on the rebuilt state.
      await ensureProduct(deps, productId);
      if (afterRecovery) throw new UnavailableError('order_unavailable', 'retry shortly', 1);
      return cancelOrder(deps, orderId, userId, true);
  }
}
