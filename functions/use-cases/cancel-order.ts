import { ConflictError } from '../domain/errors.js';
import { type OrderView, orderStatus, toOrderView } from '../domain/product.js';
import { type FlashSaleDeps, publishProductEvents } from './flash-sale-use-cases.js';
import { orderNotFound } from './read-products.js';
import { missingProductError } from './recover-product.js';

/** The owner cancels a reserved order; the units return to stock in the same atomic step. */
export async function cancelOrder(deps: FlashSaleDeps, orderId: string, userId: string): Promise<OrderView> {
  const productId = await deps.products.productOfOrder(orderId);
  if (productId === null) throw orderNotFound(orderId);
  const outcome = await deps.products.cancel(productId, orderId, userId);
  await publishProductEvents(deps, outcome.events);
  if (outcome.ok) return toOrderView(outcome.order, outcome.now);
  switch (outcome.code) {
    case 'order_not_found':
      throw orderNotFound(orderId);
    case 'order_not_cancellable': {
      const status = orderStatus(outcome.order, outcome.now);
      throw new ConflictError('order_not_cancellable', `the order is ${status} and cannot be cancelled`, {
        status,
      });
    }
    case 'product_unavailable':
    case 'product_not_found':
      throw await missingProductError(deps, productId);
  }
}
