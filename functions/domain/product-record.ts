import type { Order, OrderStatus, ProductState } from './product.js';

/**
 * The product hash stores every field as a string: numbers as decimal integers, absent values as ''.
 * Orders are JSON records whose `amount` is a decimal string (it may exceed what Lua prints exactly)
 * and whose times are epoch ms numbers. This is the one place that knows both formats (the event
 * payloads carry the same records).
 */
export function parseProductRecord(record: Record<string, string>): ProductState {
  const text = (field: string): string => {
    const value = record[field];
    if (value === undefined) throw new Error(`product record without ${field}`);
    return value;
  };
  const integer = (field: string): number => Number(text(field));
  const saleEndsAt = record.saleEndsAt;
  return {
    id: text('id'),
    name: text('name'),
    price: integer('price'),
    stock: integer('stock'),
    available: integer('available'),
    perUserLimit: integer('perUserLimit'),
    saleStartsAt: integer('saleStartsAt'),
    saleEndsAt: saleEndsAt === undefined || saleEndsAt === '' ? null : Number(saleEndsAt),
    reservationTtlSeconds: integer('reservationTtlSeconds'),
    seq: integer('seq'),
    createdAt: integer('createdAt'),
  };
}

export interface OrderRecord {
  id: string;
  productId: string;
  userId: string;
  qty: number;
  amount: string;
  status: OrderStatus;
  createdAt: number;
  expiresAt: number;
  /** 0 when not paid. */
  paidAt: number;
  refundRequired: boolean;
}

export function parseOrderRecord(record: OrderRecord): Order {
  return {
    id: record.id,
    productId: record.productId,
    userId: record.userId,
    qty: Number(record.qty),
    amount: Number(record.amount),
    status: record.status,
    createdAt: Number(record.createdAt),
    expiresAt: Number(record.expiresAt),
    paidAt: record.paidAt ? Number(record.paidAt) : null,
    refundRequired: record.refundRequired === true,
  };
}

/** An order as the scripts store it (the inverse of parseOrderRecord). */
export function orderRecordOf(order: Order): OrderRecord {
  return {
    id: order.id,
    productId: order.productId,
    userId: order.userId,
    qty: order.qty,
    amount: String(order.amount),
    status: order.status,
    createdAt: order.createdAt,
    expiresAt: order.expiresAt,
    paidAt: order.paidAt ?? 0,
    refundRequired: order.refundRequired,
  };
}

/** What a payment webhook event became, as recorded with the order. */
export interface PaymentRecord {
  eventId: string;
  type: 'payment.succeeded' | 'payment.failed';
  orderId: string;
  amount: string;
  /** paid / cancelled: the order moved; refund: status unchanged, refund required; ignored: no effect. */
  outcome: 'paid' | 'cancelled' | 'refund' | 'ignored';
  receivedAt: number;
}
