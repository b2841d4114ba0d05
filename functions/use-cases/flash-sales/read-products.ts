import { NotFoundError, UnavailableError } from '../../domain/errors.js';
import {
  type Order,
  type OrderView,
  type ProductView,
  toOrderView,
  toProductView,
} from '../../domain/product.js';
import type { FlashSaleDeps } from './flash-sale-use-cases.js';
import { ensureProduct, missingProductError, productUnavailable } from './recover-product.js';

export const orderNotFound = (orderId: string) =>
  new NotFoundError('order_not_found', `order ${orderId} does not exist`);

type ReadDeps = Pick<FlashSaleDeps, 'products' | 'archive'>;

export async function getProduct(deps: ReadDeps, productId: string): Promise<ProductView> {
  const { product } = await deps.products.read(productId);
  if (product) return toProductView(product);
  throw await missingProductError(deps, productId);
}

/**
 * The product of an order: its Redis pointer, else PostgreSQL (Redis lost the pointer with the
 * product, or the settled order aged out of Redis). null only when neither knows the order.
 */
export async function productOfOrder(deps: ReadDeps, orderId: string): Promise<string | null> {
  const productId = await deps.products.productOfOrder(orderId);
  if (productId !== null) return productId;
  return (await deps.archive.findOrder(orderId))?.productId ?? null;
}

/** Seconds a client waits before asking again for an order whose events may still be in flight. */
export const ORDER_IN_FLIGHT_RETRY_AFTER_SECONDS = 5;

/**
 * Neither Redis nor PostgreSQL knows the order. If the id is one we made and an event sent since
 * then may still be on its way to PostgreSQL (Redis lost the order before it was persisted), "does
 * not exist" would be a guess: 503 + Retry-After until the persist queue says otherwise.
 */
export async function unknownOrderError(deps: ReadDeps, orderId: string): Promise<Error> {
  const madeAt = deps.products.orderIdTime(orderId);
  if (madeAt !== null && madeAt <= Date.now() && (await deps.archive.mayBeInFlight(madeAt))) {
    return new UnavailableError(
      'order_unavailable',
      `order ${orderId} may still be on its way to storage, retry shortly`,
      ORDER_IN_FLIGHT_RETRY_AFTER_SECONDS,
    );
  }
  return orderNotFound(orderId);
}

/**
 * An order Redis does not hold while it holds its product: settled and aged out (or not brought
 * back by a rebuild, which restores live orders only), so PostgreSQL's copy is final.
 */
export async function archivedOrder(deps: ReadDeps, orderId: string): Promise<Order | null> {
  return deps.archive.findOrder(orderId);
}

/**
 * The owner or an admin sees the order; anyone else is told it does not exist. While the order's
 * product is fenced (Redis lost it and events may still be in flight) the answer is 503 with
 * Retry-After: PostgreSQL's copy could miss a payment or a cancel still on its way.
 */
export async function getOrder(
  deps: ReadDeps,
  orderId: string,
  viewer: { id: string; isAdmin: boolean },
): Promise<OrderView> {
  const productId = await productOfOrder(deps, orderId);
  if (productId === null) throw await unknownOrderError(deps, orderId);
  let read = await deps.products.read(productId, orderId);
  if (!read.product) {
    await ensureProduct(deps, productId).catch((error: unknown) => {
      // The pointer named a product nobody knows: the order does not exist as far as anyone can tell.
      if (error instanceof NotFoundError) throw orderNotFound(orderId);
      throw error;
    });
    read = await deps.products.read(productId, orderId);
    if (!read.product) throw productUnavailable(productId, 1);
  }
  const order = read.order ?? (await archivedOrder(deps, orderId));
  if (!order || (order.userId !== viewer.id && !viewer.isAdmin)) throw orderNotFound(orderId);
  return toOrderView(order, read.now);
}
