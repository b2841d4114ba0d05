import type { OrderRecord, PaymentRecord } from './product-record.js';

/**
 * The envelope of every state change. The deciding Lua script builds it (so it is in the entity's
 * outbox in the same atomic step as the change), the HTTP handler sends it to SQS, the writer
 * persists it, the fan-out pushes it. `eventId` is deterministic (`<tag>:<entityId>:<seq>`), so a
 * re-sent event is recognisably the same event.
 */
export type EventType =
  | 'auction.created'
  | 'bid.accepted'
  | 'auction.closed'
  | 'product.created'
  | 'order.reserved'
  | 'order.paid'
  | 'order.cancelled'
  | 'order.expired'
  | 'payment.received';

export interface EventEnvelope<Payload = unknown> {
  eventId: string;
  type: EventType;
  entityType: 'auction' | 'product';
  entityId: string;
  seq: number;
  /** Epoch milliseconds of the Redis server clock. */
  occurredAt: number;
  payload: Payload;
}

/** Payload states keep the raw storage record (strings), parsed by the same parser that reads Redis. */
export interface AuctionEventPayload {
  state: Record<string, string>;
  bid?: Record<string, string | number>;
  extended?: boolean;
}

/**
 * Product events (product.created, order.*, payment.received): the product record after the change,
 * the order it concerns (raw order record, see domain/product-record.ts) and, for webhook-driven
 * changes, the payment that caused it.
 */
export interface ProductEventPayload {
  product: Record<string, string>;
  order?: OrderRecord;
  payment?: PaymentRecord;
}
