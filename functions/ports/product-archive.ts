import type { Order } from '../domain/product.js';
import type { ArchivedProduct } from './product-store.js';

/**
 * The persisted side of products (PostgreSQL, written by the writer from the persist queue). Used
 * only for recovery (ARCHITECTURE.md guarantee 5): when Redis no longer knows a product that
 * PostgreSQL knows, the product is fenced (503 + Retry-After) and rebuilt from here once nothing
 * sent for it before the loss can still arrive.
 */
export interface ProductArchive {
  /** The product and all its orders, or null when PostgreSQL never heard of it. */
  find(productId: string): Promise<ArchivedProduct | null>;
  /**
   * One order as PostgreSQL has it, or null. Finds the product of an order whose Redis pointer is
   * gone (Redis lost it, or the settled order aged out); its status may lag what is in flight.
   */
  findOrder(orderId: string): Promise<Order | null>;
  /** The orders of these ids PostgreSQL holds (in any order). */
  findOrders(orderIds: readonly string[]): Promise<Order[]>;
  /**
   * True when every event of this product sent before `fencedSince` (epoch ms) is persisted: the
   * persist queue holds none of them any more and its dead-letter queue has none either.
   */
  settled(productId: string, fencedSince: number): Promise<boolean>;
  /**
   * True while an event sent at `sentAt` (epoch ms) may still be on its way to PostgreSQL (the same
   * probe as `settled`): an order PostgreSQL does not know yet is then not known not to exist.
   */
  mayBeInFlight(sentAt: number): Promise<boolean>;
}
