import { NotFoundError } from '../domain/errors.js';
import { type OrderView, type ProductView, toOrderView, toProductView } from '../domain/product.js';
import type { FlashSaleDeps } from './flash-sale-use-cases.js';
import { missingProductError } from './recover-product.js';

export const orderNotFound = (orderId: string) =>
  new NotFoundError('order_not_found', `order ${orderId} does not exist`);

export async function getProduct(
  deps: Pick<FlashSaleDeps, 'products' | 'archive'>,
  productId: string,
): Promise<ProductView> {
  const { product } = await deps.products.read(productId);
  if (product) return toProductView(product);
  throw await missingProductError(deps, productId);
}

/** The owner or an admin sees the order; anyone else is told it does not exist. */
export async function getOrder(
  deps: Pick<FlashSaleDeps, 'products' | 'archive'>,
  orderId: string,
  viewer: { id: string; isAdmin: boolean },
): Promise<OrderView> {
  const productId = await deps.products.productOfOrder(orderId);
  if (productId === null) throw orderNotFound(orderId);
  const { now, product, order } = await deps.products.read(productId, orderId);
  if (!product) throw await missingProductError(deps, productId);
  if (!order || (order.userId !== viewer.id && !viewer.isAdmin)) throw orderNotFound(orderId);
  return toOrderView(order, now);
}
