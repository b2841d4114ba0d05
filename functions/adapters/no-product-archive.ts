import type { ProductArchive } from '../ports/product-archive.js';

/**
 * The archive until PostgreSQL serves products (issue 4): it knows no product, so a product Redis
 * does not know is simply not found, and nothing is ever fenced or rebuilt.
 */
export class NoProductArchive implements ProductArchive {
  async find(): Promise<null> {
    return null;
  }

  async findOrder(): Promise<null> {
    return null;
  }

  async findOrders(): Promise<[]> {
    return [];
  }

  async settled(): Promise<boolean> {
    return false;
  }

  /** Without PostgreSQL, Redis is the only truth: what it does not hold does not exist. */
  async mayBeInFlight(): Promise<boolean> {
    return false;
  }
}
