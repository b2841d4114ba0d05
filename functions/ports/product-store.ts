import type { EventEnvelope } from '../domain/events.js';
import type { Order, ProductState } from '../domain/product.js';
import type { PaymentRecord } from '../domain/product-record.js';

export interface NewProduct {
  id: string;
  name: string;
  price: number;
  stock: number;
  perUserLimit: number;
  /** Epoch ms; null means "now" on the store's clock. */
  saleStartsAt: number | null;
  saleEndsAt: number | null;
  reservationTtlSeconds: number;
}

/** Every outcome carries the server time and the events the step emitted (to publish). */
type Step<T> = { now: number; events: EventEnvelope[] } & T;

/** The product is unknown to Redis but fenced: it waits to be rebuilt from PostgreSQL. */
export type Unavailable = { ok: false; code: 'product_unavailable' };

export type CreateProductOutcome = Step<
  | { ok: true; product: ProductState }
  | { ok: false; code: 'product_exists' }
  | Unavailable
  | { ok: false; code: 'invalid_schedule'; field: string; message: string }
>;

export interface ReserveCommand {
  productId: string;
  userId: string;
  qty: number;
  orderId: string;
  idempotency: { key: string; fingerprint: string } | null;
}

export type ReserveOutcome = Step<
  { replayed: boolean } & (
    | { ok: true; product: ProductState; order: Order; pendingPayments: boolean }
    | { ok: false; code: 'product_not_found' | 'idempotency_key_reused' }
    | Unavailable
    | { ok: false; code: 'rate_limited'; retryAfterMs: number }
    | { ok: false; code: 'sale_not_active' }
    | { ok: false; code: 'limit_exceeded'; limit: number; purchased: number }
    /** `saleEndsAt`: when the sale ends (epoch ms), null without an end: how long "sold out" can hold. */
    | { ok: false; code: 'sold_out'; available: number; saleEndsAt: number | null }
  )
>;

export type ReadProductOutcome = {
  now: number;
  product: ProductState | null;
  /** True when the product is unknown but fenced (being rebuilt). */
  fenced: boolean;
  order: Order | null;
};

export type CancelOutcome = Step<
  | { ok: true; product: ProductState; order: Order }
  | { ok: false; code: 'product_not_found' | 'order_not_found' }
  | Unavailable
  | { ok: false; code: 'order_not_cancellable'; product: ProductState; order: Order }
>;

export interface PaymentEvent {
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  orderId: string;
  amount: number;
}

export type PaymentOutcome = Step<
  | { ok: true; status: 'applied'; payment: PaymentRecord; order: Order; product: ProductState }
  | { ok: true; status: 'duplicate'; payment: PaymentRecord }
  | { ok: false; code: 'product_not_found' | 'order_not_found' }
  | Unavailable
>;

export type ParkOutcome = { parked: false; productId: string } | { parked: true; duplicate: boolean };

export type ExpireOutcome = Step<
  | { ok: true; expired: number; nextCheck: number }
  | { ok: true; expired: number; done: true }
  | { ok: false; code: 'product_not_found' }
  | Unavailable
>;

/** The deciding store of products and orders (Redis): every method is one atomic step on one product. */
export interface ProductStore {
  /** A new order id, placed so that the order is found from its id alone. */
  newOrderId(productId: string): string;
  /** When an order id was made (epoch ms), or null when it cannot be one of ours. */
  orderIdTime(orderId: string): number | null;
  create(product: NewProduct): Promise<CreateProductOutcome>;
  read(productId: string, orderId?: string): Promise<ReadProductOutcome>;
  /** The product an order belongs to, or null when no such order is visible. */
  productOfOrder(orderId: string): Promise<string | null>;
  reserve(command: ReserveCommand): Promise<ReserveOutcome>;
  /**
   * Counts a reservation answered without `reserve` toward the user's rate limit on the product
   * (the counter `reserve` keeps): the ms until the window ends when over the limit, else 0.
   */
  countReservationRequest(productId: string, userId: string): Promise<number>;
  cancel(productId: string, orderId: string, userId: string): Promise<CancelOutcome>;
  applyPayment(productId: string, event: PaymentEvent): Promise<PaymentOutcome>;
  /** Keeps an event for an order not visible yet; says where to apply it if the order appeared. */
  parkPayment(event: PaymentEvent): Promise<ParkOutcome>;
  parkedPayments(orderId: string): Promise<PaymentEvent[]>;
  /** Order ids with parked events, oldest first (sweeper). */
  ordersWithParkedPayments(limit: number): Promise<string[]>;
  forgetParkedOrder(orderId: string): Promise<void>;
  expireOverdue(productId: string): Promise<ExpireOutcome>;
  /** Product ids whose expiry check is due at `nowMs`, earliest first (sweeper). */
  productsDueForExpiry(nowMs: number, limit: number): Promise<string[]>;
  /** Records when to look at the product again, or (null) that its sale is over for good. */
  scheduleExpiryCheck(productId: string, atMs: number | null): Promise<void>;
  /** Removes events from the product's outbox once the persist queue has them. */
  acknowledge(events: readonly EventEnvelope[]): Promise<void>;
  /**
   * Settled orders (paid, cancelled, expired) whose last change is older than `beforeMs`, oldest
   * first, with their product (null when Redis no longer holds the order's pointer).
   */
  settledOrdersDue(beforeMs: number, limit: number): Promise<{ orderId: string; productId: string | null }[]>;
  /** Drops the orders whose Redis copy is settled and equals `archived`; returns the ids Redis no longer holds. */
  evictSettled(productId: string, archived: readonly Order[]): Promise<string[]>;
  /** Forgets orders in the settled index (they are gone from Redis). */
  forgetSettled(orderIds: readonly string[]): Promise<void>;
  /** Puts a settled order back into its product (from PostgreSQL); false when the product is not in Redis. */
  returnOrder(order: Order): Promise<boolean>;
  /** Recovery fence: see ProductArchive. */
  /** `outboxPending`: events of the product SQS has not acknowledged; no rebuild until none. */
  fence(
    productId: string,
  ): Promise<{ exists: true } | { exists: false; since: number; now: number; outboxPending: number }>;
  restore(snapshot: ArchivedProduct): Promise<boolean>;
  /** At most one recovery attempt per product per `ms` (they cost PostgreSQL queries). */
  claimRecoveryAttempt(productId: string, ms: number): Promise<boolean>;
}

/** A product as PostgreSQL has it: the product record (seq = last persisted) and its orders. */
export interface ArchivedProduct {
  product: ProductState;
  orders: Order[];
  /** Webhook events applied to its orders: their ids keep de-duplicating provider retries. */
  payments?: PaymentRecord[];
  /** Reservations decided under an Idempotency-Key within the last 24 h, to replay after a rebuild. */
  decisions?: ArchivedDecision[];
}

export interface ArchivedDecision {
  userId: string;
  key: string;
  fingerprint: string;
  /** The event the decision produced (order.reserved; a bid's last event): the replay renders from it. */
  event: EventEnvelope;
}
