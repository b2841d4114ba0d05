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
  /** Proxy bidding: the leader raised their own maximum, no price changed (state.leaderMax only). */
  | 'bid.max_raised'
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
  bid?: Record<string, string | number | boolean>;
  extended?: boolean;
  /**
   * On the last event of a bid decided under an Idempotency-Key: what a rebuild replays (the key,
   * the fingerprint and, for proxy bidding, the reply's own bid with its maximum: secret too).
   */
  idempotency?: Record<string, unknown>;
}

/**
 * Proxy bidding keeps maxima secret. The deciding script writes them into the events it makes
 * (`state.leaderMax`, `bid.maxAmount`, `idempotency`) because the write-behind store must keep them
 * for a rebuild; every copy that goes towards watchers is made with this function first.
 */
export function withoutSecrets(event: EventEnvelope): EventEnvelope {
  if (event.entityType !== 'auction') return event;
  const payload = event.payload as AuctionEventPayload;
  const secretInState = payload.state !== undefined && 'leaderMax' in payload.state;
  const secretInBid = payload.bid !== undefined && 'maxAmount' in payload.bid;
  if (!secretInState && !secretInBid && payload.idempotency === undefined) return event;
  const { idempotency: _idempotency, ...rest } = payload;
  const { leaderMax: _leaderMax, ...state } = payload.state;
  const stripped: AuctionEventPayload = { ...rest, state };
  if (payload.bid) {
    const { maxAmount: _maxAmount, ...bid } = payload.bid;
    stripped.bid = bid;
  }
  return { ...event, payload: stripped };
}

/** Events that change nothing a watcher sees (a leader's new maximum) are not fanned out. */
export const isWatcherVisible = (event: EventEnvelope) => event.type !== 'bid.max_raised';

/**
 * Product events (product.created, order.*, payment.received): the product record after the change,
 * the order it concerns (raw order record, see domain/product-record.ts) and, for webhook-driven
 * changes, the payment that caused it.
 */
export interface ProductEventPayload {
  product: Record<string, string>;
  order?: OrderRecord;
  payment?: PaymentRecord;
  /** On the event of a reservation decided under an Idempotency-Key: what a rebuild replays. */
  idempotency?: { userId: string; key: string; fingerprint: string };
}
