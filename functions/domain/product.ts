/** Product and order state as the deciding scripts keep it, and the public views derived from it. */

/** Times are epoch milliseconds of the Redis server clock; money is integer minor units. */
export interface ProductState {
  id: string;
  name: string;
  price: number;
  /** Units put on sale at creation. */
  stock: number;
  /** Units not held by a live (reserved or paid) order. */
  available: number;
  perUserLimit: number;
  saleStartsAt: number;
  /** null: the sale has no end. */
  saleEndsAt: number | null;
  reservationTtlSeconds: number;
  seq: number;
  createdAt: number;
}

export interface ProductView {
  id: string;
  name: string;
  price: number;
  stock: number;
  available: number;
  perUserLimit: number;
  saleStartsAt: string;
  saleEndsAt: string | null;
  reservationTtlSeconds: number;
  seq: number;
}

export type OrderStatus = 'reserved' | 'paid' | 'cancelled' | 'expired';

export interface Order {
  id: string;
  productId: string;
  userId: string;
  qty: number;
  amount: number;
  status: OrderStatus;
  createdAt: number;
  expiresAt: number;
  paidAt: number | null;
  refundRequired: boolean;
}

export interface OrderView {
  id: string;
  productId: string;
  userId: string;
  qty: number;
  amount: number;
  status: OrderStatus;
  createdAt: string;
  expiresAt: string;
  paidAt?: string;
  refundRequired?: boolean;
}

export const DEFAULT_PER_USER_LIMIT = 1;
export const DEFAULT_RESERVATION_TTL_SECONDS = 600;

export function toProductView(state: ProductState): ProductView {
  return {
    id: state.id,
    name: state.name,
    price: state.price,
    stock: state.stock,
    available: state.available,
    perUserLimit: state.perUserLimit,
    saleStartsAt: new Date(state.saleStartsAt).toISOString(),
    saleEndsAt: state.saleEndsAt === null ? null : new Date(state.saleEndsAt).toISOString(),
    reservationTtlSeconds: state.reservationTtlSeconds,
    seq: state.seq,
  };
}

/**
 * The status at a given server time: a reservation reads `expired` from its `expiresAt` on, even
 * before a script has recorded the expiry (which returns the stock, on the next write to the
 * product or the next sweeper run). No script accepts a payment or a cancel for it from then on.
 */
export function orderStatus(order: Order, nowMs: number): OrderStatus {
  if (order.status === 'reserved' && nowMs >= order.expiresAt) return 'expired';
  return order.status;
}

export function toOrderView(order: Order, nowMs: number): OrderView {
  const view: OrderView = {
    id: order.id,
    productId: order.productId,
    userId: order.userId,
    qty: order.qty,
    amount: order.amount,
    status: orderStatus(order, nowMs),
    createdAt: new Date(order.createdAt).toISOString(),
    expiresAt: new Date(order.expiresAt).toISOString(),
  };
  if (order.paidAt !== null) view.paidAt = new Date(order.paidAt).toISOString();
  if (order.refundRequired) view.refundRequired = true;
  return view;
}
