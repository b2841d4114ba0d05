import type { EventEnvelope, ProductEventPayload } from '../../domain/events.js';
import type { Order } from '../../domain/product.js';
import type {
  ArchivedProduct,
  NewProduct,
  PaymentEvent,
  ProductStore,
  ReserveCommand,
} from '../../ports/product-store.js';
import type { RedisClient } from './client.js';
import { runApplyPayment } from './lua/flash-sale/apply-payment.js';
import { runCancelOrder } from './lua/flash-sale/cancel-order.js';
import { runCreateProduct } from './lua/flash-sale/create-product.js';
import { runEvictOrders } from './lua/flash-sale/evict-orders.js';
import { runExpireReservations } from './lua/flash-sale/expire-reservations.js';
import { runFenceProduct } from './lua/flash-sale/fence-product.js';
import { runParkPayment } from './lua/flash-sale/park-payment.js';
import { runReadProduct } from './lua/flash-sale/read-product.js';
import { runReserveOrder } from './lua/flash-sale/reserve-order.js';
import { runRestoreProduct } from './lua/flash-sale/restore-product.js';
import { runReturnOrder } from './lua/flash-sale/return-order.js';
import { runCountProductRequest } from './lua/requests/count-request.js';
import { newOrderId, orderIdTime } from './order-ids.js';
import { OutboxIndex } from './outbox-index.js';
import {
  orderKeys,
  outboxMember,
  PENDING_PAYMENTS_KEY,
  PRODUCTS_BY_NEXT_EXPIRY_KEY,
  productKeys,
  SETTLED_ORDERS_KEY,
} from './redis-keys.js';

export interface ProductStoreLimits {
  orderRateLimit: { max: number; windowMs: number };
  eventLogLength: number;
  idempotencyTtlSeconds: number;
  /** Most overdue reservations one script run expires (bounds the run's duration). */
  expireBatch: number;
  /** How long a webhook event for an order not visible yet is kept. */
  parkedPaymentSeconds: number;
}

export const DEFAULT_PRODUCT_STORE_LIMITS: ProductStoreLimits = {
  orderRateLimit: { max: 10, windowMs: 1_000 },
  eventLogLength: 10_000,
  idempotencyTtlSeconds: 24 * 60 * 60,
  expireBatch: 200,
  parkedPaymentSeconds: 7 * 24 * 60 * 60,
};

export class RedisProductStore implements ProductStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly limits: ProductStoreLimits = DEFAULT_PRODUCT_STORE_LIMITS,
    private readonly outboxIndex: OutboxIndex = new OutboxIndex(redis),
  ) {}

  newOrderId(productId: string): string {
    return newOrderId(productId);
  }

  orderIdTime(orderId: string): number | null {
    return orderIdTime(orderId);
  }

  async create(product: NewProduct) {
    // Intent first: the sweeper's index learns of the product before it exists, so a crash in between
    // leaves an index entry the sweeper drops, never a product whose reservations nobody expires.
    await Promise.all([
      this.redis.zadd(PRODUCTS_BY_NEXT_EXPIRY_KEY, 'NX', Date.now(), product.id),
      this.outboxIndex.intent(outboxMember('product', product.id)),
    ]);
    return runCreateProduct(this.redis, { ...product, eventLogLength: this.limits.eventLogLength });
  }

  read(productId: string, orderId?: string) {
    return runReadProduct(this.redis, productId, orderId);
  }

  productOfOrder(orderId: string): Promise<string | null> {
    return this.redis.get(orderKeys(orderId).pointer);
  }

  async reserve(command: ReserveCommand) {
    // Intent first (see outbox-index.ts): the sweeper finds this product's outbox if the process dies.
    await this.outboxIndex.intent(outboxMember('product', command.productId), { ifExists: true });
    return this.noteSettled(
      await runReserveOrder(this.redis, {
        ...command,
        rateLimit: this.limits.orderRateLimit,
        eventLogLength: this.limits.eventLogLength,
        idempotencyTtlSeconds: this.limits.idempotencyTtlSeconds,
        expireBatch: this.limits.expireBatch,
      }),
    );
  }

  countReservationRequest(productId: string, userId: string): Promise<number> {
    return runCountProductRequest(this.redis, productId, userId, this.limits.orderRateLimit);
  }

  async cancel(productId: string, orderId: string, userId: string) {
    await this.outboxIndex.intent(outboxMember('product', productId), { ifExists: true });
    return this.noteSettled(
      await runCancelOrder(this.redis, {
        productId,
        orderId,
        userId,
        eventLogLength: this.limits.eventLogLength,
      }),
    );
  }

  async applyPayment(productId: string, event: PaymentEvent) {
    await this.outboxIndex.intent(outboxMember('product', productId), { ifExists: true });
    return this.noteSettled(
      await runApplyPayment(this.redis, { productId, event, eventLogLength: this.limits.eventLogLength }),
    );
  }

  async parkPayment(event: PaymentEvent) {
    // Intent first: the sweeper retries parked orders from this index.
    await this.redis.zadd(PENDING_PAYMENTS_KEY, 'NX', Date.now(), event.orderId);
    const outcome = await runParkPayment(this.redis, {
      event,
      lifetimeSeconds: this.limits.parkedPaymentSeconds,
    });
    if (!outcome.parked) await this.forgetParkedOrder(event.orderId);
    return outcome;
  }

  async parkedPayments(orderId: string): Promise<PaymentEvent[]> {
    const rows = await this.redis.hvals(orderKeys(orderId).pending);
    return rows.map((row) => JSON.parse(row) as PaymentEvent);
  }

  ordersWithParkedPayments(limit: number): Promise<string[]> {
    return this.redis.zrange(PENDING_PAYMENTS_KEY, 0, limit - 1);
  }

  async forgetParkedOrder(orderId: string): Promise<void> {
    await this.redis.zrem(PENDING_PAYMENTS_KEY, orderId);
  }

  async expireOverdue(productId: string) {
    await this.outboxIndex.intent(outboxMember('product', productId), { ifExists: true });
    return this.noteSettled(
      await runExpireReservations(this.redis, {
        productId,
        max: this.limits.expireBatch,
        eventLogLength: this.limits.eventLogLength,
      }),
    );
  }

  productsDueForExpiry(nowMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(PRODUCTS_BY_NEXT_EXPIRY_KEY, '-inf', nowMs, 'LIMIT', 0, limit);
  }

  async scheduleExpiryCheck(productId: string, atMs: number | null): Promise<void> {
    if (atMs === null) await this.redis.zrem(PRODUCTS_BY_NEXT_EXPIRY_KEY, productId);
    // XX: only a product still indexed is rescheduled; one whose sale is over stays removed.
    else await this.redis.zadd(PRODUCTS_BY_NEXT_EXPIRY_KEY, 'XX', atMs, productId);
  }

  async acknowledge(events: readonly EventEnvelope[]): Promise<void> {
    await Promise.all(
      events.map((event) => this.redis.hdel(productKeys(event.entityId).outbox, event.eventId)),
    );
  }

  /**
   * Indexes the orders a step settled, by the time of that change, for the sweeper to drop once
   * PostgreSQL has them (after the script: a crash in between leaves an order in Redis, never one
   * dropped before it is persisted).
   */
  private async noteSettled<T extends { events: EventEnvelope[] }>(outcome: T): Promise<T> {
    const settled: (string | number)[] = [];
    for (const event of outcome.events) {
      const order = (event.payload as ProductEventPayload).order;
      if (order && order.status !== 'reserved') settled.push(event.occurredAt, order.id);
    }
    if (settled.length > 0) await this.redis.zadd(SETTLED_ORDERS_KEY, ...settled);
    return outcome;
  }

  async settledOrdersDue(beforeMs: number, limit: number) {
    const orderIds = await this.redis.zrangebyscore(SETTLED_ORDERS_KEY, '-inf', beforeMs, 'LIMIT', 0, limit);
    const productIds = await Promise.all(orderIds.map((orderId) => this.productOfOrder(orderId)));
    return orderIds.map((orderId, index) => ({ orderId, productId: productIds[index] ?? null }));
  }

  async evictSettled(productId: string, archived: readonly Order[]): Promise<string[]> {
    if (archived.length === 0) return [];
    const { evicted, gone } = await runEvictOrders(this.redis, productId, archived);
    return [...evicted, ...gone];
  }

  async forgetSettled(orderIds: readonly string[]): Promise<void> {
    if (orderIds.length > 0) await this.redis.zrem(SETTLED_ORDERS_KEY, ...orderIds);
  }

  returnOrder(order: Order): Promise<boolean> {
    return runReturnOrder(this.redis, order);
  }

  fence(productId: string) {
    return runFenceProduct(this.redis, productId);
  }

  async claimRecoveryAttempt(productId: string, ms: number): Promise<boolean> {
    return (await this.redis.set(productKeys(productId).recovering, '1', 'PX', ms, 'NX')) === 'OK';
  }

  async restore(snapshot: ArchivedProduct): Promise<boolean> {
    const restored = await runRestoreProduct(this.redis, {
      ...snapshot,
      eventLogLength: this.limits.eventLogLength,
      idempotencyTtlSeconds: this.limits.idempotencyTtlSeconds,
    });
    if (restored) await this.redis.zadd(PRODUCTS_BY_NEXT_EXPIRY_KEY, Date.now(), snapshot.product.id);
    return restored;
  }
}
