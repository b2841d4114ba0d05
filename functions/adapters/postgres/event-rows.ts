import { toAuctionView } from '../../domain/auction.js';
import { parseAuctionRecord } from '../../domain/auction-record.js';
import type { EventEnvelope } from '../../domain/events.js';

/**
 * Event envelopes -> table rows. Times stay epoch ms (converted in SQL), money and seq are checked
 * safe integers. A payload that cannot be mapped throws RejectedEventError: the writer then isolates
 * that event, so it fails alone and ends in the DLQ.
 */

export class RejectedEventError extends Error {
  override name = 'RejectedEventError';
  constructor(
    readonly eventId: string,
    message: string,
  ) {
    super(`${eventId}: ${message}`);
  }
}

export interface EventRow {
  event_id: string;
  entity_type: string;
  entity_id: string;
  seq: number;
  type: string;
  occurred_at: number;
  payload: Record<string, unknown>;
}

export interface AuctionRow {
  id: string;
  title: string;
  seller_id: string;
  starting_price: number;
  min_increment: number;
  reserve_price: number | null;
  starts_at: number;
  ends_at: number;
  extensions: number;
  current_price: number | null;
  leader_id: string | null;
  bid_count: number;
  seq: number;
  created_at: number;
  closed_at: number | null;
  state: Record<string, string>;
  last_event_at: number;
  // Auction house (API.md v1.2, migration 0005).
  buy_now_price: number | null;
  increment_table: { from: number; increment: number }[] | null;
  cancelled: boolean;
  closed_by: string | null;
}

export interface BidRow {
  id: string;
  auction_id: string;
  bidder_id: string;
  amount: number;
  seq: number;
  placed_at: number;
  proxy: boolean;
  /** Secret (proxy bidding): the bidder's maximum at this bid. */
  max_amount: number | null;
}

export interface AuctionResultRow {
  auction_id: string;
  winner_id: string | null;
  final_price: number | null;
  reserve_met: boolean;
  bid_count: number;
  ends_at: number;
  closed_at: number;
  seq: number;
  closed_by: string;
  cancelled: boolean;
  cancel_reason: string | null;
}

export interface ProductRow {
  id: string;
  name: string | null;
  price: number | null;
  stock: number | null;
  available: number | null;
  per_user_limit: number | null;
  sale_starts_at: number | null;
  sale_ends_at: number | null;
  reservation_ttl_seconds: number | null;
  seq: number;
  state: Record<string, unknown>;
  last_event_at: number;
}

export interface OrderRow {
  id: string;
  product_id: string;
  user_id: string | null;
  qty: number | null;
  amount: number | null;
  status: string;
  status_rank: number;
  created_at: number | null;
  expires_at: number | null;
  paid_at: number | null;
  refund_required: boolean;
  seq: number;
  record: Record<string, unknown>;
}

export interface PaymentRow {
  id: string;
  order_id: string | null;
  type: string | null;
  amount: number | null;
  outcome: string | null;
  received_at: number;
  event_id: string;
  payload: Record<string, unknown>;
}

/** An Idempotency-Key decision that produced an event (see migrations/0002_recovery_decisions.sql). */
export interface DecisionRow {
  entity_type: string;
  entity_id: string;
  user_id: string;
  idem_key: string;
  fingerprint: string;
  event_id: string;
  decided_at: number;
}

export interface EventRows {
  events: EventRow[];
  decisions: DecisionRow[];
  auctions: AuctionRow[];
  bids: BidRow[];
  results: AuctionResultRow[];
  products: ProductRow[];
  orders: OrderRow[];
  payments: PaymentRow[];
}

/** Terminal order states beat `reserved` whatever the arrival order; among equals a higher seq wins. */
export const ORDER_STATUS_RANK: Record<string, number> = { reserved: 0, paid: 1, cancelled: 1, expired: 1 };

type Payload = Record<string, unknown>;

function checker(eventId: string) {
  const fail = (message: string): never => {
    throw new RejectedEventError(eventId, message);
  };
  const record = (value: unknown, name: string): Payload =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Payload)
      : fail(`${name} missing`);
  const optionalInt = (value: unknown, name: string): number | null => {
    if (value === undefined || value === null || value === '') return null;
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
    return Number.isSafeInteger(n) ? n : fail(`${name} is not a safe integer`);
  };
  const int = (value: unknown, name: string): number => optionalInt(value, name) ?? fail(`${name} missing`);
  const optionalText = (value: unknown): string | null =>
    typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;
  const text = (value: unknown, name: string): string => optionalText(value) ?? fail(`${name} missing`);
  return { fail, record, int, optionalInt, text, optionalText };
}

function auctionRows(event: EventEnvelope<Payload>, rows: EventRows): void {
  const c = checker(event.eventId);
  const raw = c.record(event.payload.state, 'payload.state') as Record<string, string>;
  const state = (() => {
    try {
      return parseAuctionRecord(raw);
    } catch (error) {
      return c.fail(`payload.state: ${(error as Error).message}`);
    }
  })();
  for (const [name, value] of Object.entries(state)) {
    if (typeof value === 'number' && !Number.isSafeInteger(value))
      c.fail(`state.${name} is not a safe integer`);
  }
  if (state.id !== event.entityId) c.fail(`state.id ${state.id} is not the entity ${event.entityId}`);
  if (state.seq !== event.seq) c.fail(`state.seq ${state.seq} is not the event seq ${event.seq}`);
  rows.auctions.push({
    id: state.id,
    title: state.title,
    seller_id: state.sellerId,
    starting_price: state.startingPrice,
    min_increment: state.minIncrement,
    reserve_price: state.reservePrice,
    starts_at: state.startsAt,
    ends_at: state.endsAt,
    extensions: state.extensions,
    current_price: state.currentPrice,
    leader_id: state.leaderId,
    bid_count: state.bidCount,
    seq: state.seq,
    created_at: state.createdAt,
    closed_at: state.closedAt,
    state: raw,
    last_event_at: event.occurredAt,
    buy_now_price: state.buyNowPrice ?? null,
    increment_table: state.incrementTable ? state.incrementTable.map((row) => ({ ...row })) : null,
    cancelled: state.cancelled === true,
    // Closed before closedBy existed: by the clock.
    closed_by: state.closedAt === null ? null : (state.closedBy ?? 'time'),
  });
  if (event.type === 'bid.accepted') {
    const bid = c.record(event.payload.bid, 'payload.bid');
    const amount = c.int(bid.amount, 'bid.amount');
    if (amount <= 0) c.fail('bid.amount must be positive');
    rows.bids.push({
      id: c.text(bid.id, 'bid.id'),
      auction_id: event.entityId,
      bidder_id: c.text(bid.bidderId, 'bid.bidderId'),
      amount,
      seq: c.int(bid.seq, 'bid.seq'),
      placed_at: c.int(bid.placedAt, 'bid.placedAt'),
      proxy: bid.proxy === true,
      max_amount: c.optionalInt(bid.maxAmount, 'bid.maxAmount'),
    });
  }
  if (event.type === 'auction.closed') {
    const closedAt = state.closedAt ?? event.occurredAt;
    const view = toAuctionView(state, Math.max(closedAt, state.endsAt));
    rows.results.push({
      auction_id: state.id,
      winner_id: view.winnerId,
      final_price: view.finalPrice,
      reserve_met: view.reserveMet,
      bid_count: state.bidCount,
      ends_at: state.endsAt,
      closed_at: closedAt,
      seq: state.seq,
      closed_by: state.closedBy ?? 'time',
      cancelled: state.cancelled === true,
      cancel_reason: state.cancelReason ?? null,
    });
  }
}

/** Product events carry `payload.product` (the product record), `order` and `payment` as they apply. */
function productRows(event: EventEnvelope<Payload>, rows: EventRows): void {
  const c = checker(event.eventId);
  const productValue = event.payload.product ?? event.payload.state;
  if (productValue !== undefined) {
    const product = c.record(productValue, 'payload.product');
    if (c.text(product.id, 'product.id') !== event.entityId) c.fail('product.id is not the entity id');
    rows.products.push({
      id: event.entityId,
      name: c.optionalText(product.name),
      price: c.optionalInt(product.price, 'product.price'),
      stock: c.optionalInt(product.stock, 'product.stock'),
      available: c.optionalInt(product.available, 'product.available'),
      per_user_limit: c.optionalInt(product.perUserLimit, 'product.perUserLimit'),
      sale_starts_at: c.optionalInt(product.saleStartsAt, 'product.saleStartsAt'),
      sale_ends_at: c.optionalInt(product.saleEndsAt, 'product.saleEndsAt'),
      reservation_ttl_seconds: c.optionalInt(product.reservationTtlSeconds, 'product.reservationTtlSeconds'),
      seq: event.seq,
      state: product,
      last_event_at: event.occurredAt,
    });
  } else if (event.type === 'product.created') {
    c.fail('payload.product missing');
  }
  if (event.payload.order !== undefined) {
    const order = c.record(event.payload.order, 'payload.order');
    const status = c.text(order.status, 'order.status');
    const rank = ORDER_STATUS_RANK[status];
    if (rank === undefined) c.fail(`order.status ${status} is unknown`);
    const paidAt = c.optionalInt(order.paidAt, 'order.paidAt');
    rows.orders.push({
      id: c.text(order.id, 'order.id'),
      product_id: event.entityId,
      user_id: c.optionalText(order.userId),
      qty: c.optionalInt(order.qty, 'order.qty'),
      amount: c.optionalInt(order.amount, 'order.amount'),
      status,
      status_rank: rank as number,
      created_at: c.optionalInt(order.createdAt, 'order.createdAt'),
      expires_at: c.optionalInt(order.expiresAt, 'order.expiresAt'),
      paid_at: paidAt === 0 ? null : paidAt,
      refund_required: order.refundRequired === true,
      seq: event.seq,
      record: order,
    });
  } else if (event.type.startsWith('order.')) {
    c.fail('payload.order missing');
  }
  if (event.payload.payment !== undefined) {
    const payment = c.record(event.payload.payment, 'payload.payment');
    rows.payments.push({
      id: c.text(payment.eventId ?? payment.id, 'payment.eventId'),
      order_id: c.optionalText(payment.orderId),
      type: c.optionalText(payment.type),
      amount: c.optionalInt(payment.amount, 'payment.amount'),
      outcome: c.optionalText(payment.outcome ?? payment.status),
      received_at: c.optionalInt(payment.receivedAt, 'payment.receivedAt') ?? event.occurredAt,
      event_id: event.eventId,
      payload: payment,
    });
  } else if (event.type === 'payment.received') {
    c.fail('payload.payment missing');
  }
}

/** `payload.idempotency` of an event decided under an Idempotency-Key (any entity type). */
function decisionRows(event: EventEnvelope<Payload>, rows: EventRows): void {
  if (event.payload.idempotency === undefined) return;
  const c = checker(event.eventId);
  const decision = c.record(event.payload.idempotency, 'payload.idempotency');
  rows.decisions.push({
    entity_type: event.entityType,
    entity_id: event.entityId,
    user_id: c.text(decision.userId, 'idempotency.userId'),
    idem_key: c.text(decision.key, 'idempotency.key'),
    fingerprint: c.text(decision.fingerprint, 'idempotency.fingerprint'),
    event_id: event.eventId,
    decided_at: event.occurredAt,
  });
}

/** Keeps, per key, the row that `wins` over the others. */
function newest<Row>(rows: Row[], key: (row: Row) => string, wins: (a: Row, b: Row) => boolean): Row[] {
  const kept = new Map<string, Row>();
  for (const row of rows) {
    const current = kept.get(key(row));
    if (current === undefined || wins(row, current)) kept.set(key(row), row);
  }
  return [...kept.values()];
}

const lexicallyGreater = (a: readonly number[], b: readonly number[]) => {
  for (let i = 0; i < a.length; i++) {
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) > (b[i] as number);
  }
  return false;
};

/**
 * Text PostgreSQL refuses whatever the column: NUL (jsonb `\u0000` is SQLSTATE 22P05, a text column
 * 22021) and lone UTF-16 surrogates (no UTF-8 form; jsonb refuses the escape). The edge refuses both
 * in new input, but an event already accepted (older data, another path) must still persist
 * (guarantee 3): each such character is stored as U+FFFD instead of sending the event to the DLQ.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what must be found
const UNSTORABLE_TEST = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;

function storable(value: unknown): unknown {
  if (typeof value === 'string')
    return UNSTORABLE_TEST.test(value) ? value.replace(UNSTORABLE, '\uFFFD') : value;
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storable(key), storable(item)]));
  }
  return value;
}

/** The event with every string PostgreSQL would refuse made storable; the same object when none is. */
export function storableEvent(event: EventEnvelope<Payload>): EventEnvelope<Payload> {
  // JSON.stringify escapes NUL and lone surrogates (and only those among them): one cheap test.
  const text = JSON.stringify(event);
  if (!/\\u0000|\\ud[89a-f]/i.test(text)) return event;
  return storable(event) as EventEnvelope<Payload>;
}

/**
 * The rows of a set of events, one per key: within a batch the same precedence applies as between
 * the batch and the table (the SQL repeats it), so each statement touches each row once.
 */
export function rowsOf(events: readonly EventEnvelope<Payload>[]): EventRows {
  const rows: EventRows = {
    events: [],
    decisions: [],
    auctions: [],
    bids: [],
    results: [],
    products: [],
    orders: [],
    payments: [],
  };
  for (const original of events) {
    const event = storableEvent(original);
    if (event.entityType === 'auction') auctionRows(event, rows);
    else productRows(event, rows);
    decisionRows(event, rows);
    rows.events.push({
      event_id: event.eventId,
      entity_type: event.entityType,
      entity_id: event.entityId,
      seq: event.seq,
      type: event.type,
      occurred_at: event.occurredAt,
      payload: event.payload,
    });
  }
  const byId = (row: { id: string }) => row.id;
  return {
    events: newest(
      rows.events,
      (row) => row.event_id,
      () => false,
    ),
    auctions: newest(rows.auctions, byId, (a, b) =>
      lexicallyGreater([a.closed_at === null ? 0 : 1, a.seq], [b.closed_at === null ? 0 : 1, b.seq]),
    ),
    bids: newest(rows.bids, byId, () => false),
    results: newest(
      rows.results,
      (row) => row.auction_id,
      () => false,
    ),
    products: newest(rows.products, byId, (a, b) => a.seq > b.seq),
    orders: newest(rows.orders, byId, (a, b) =>
      lexicallyGreater([a.status_rank, a.seq], [b.status_rank, b.seq]),
    ),
    payments: newest(rows.payments, byId, () => false),
    decisions: newest(
      rows.decisions,
      (row) => JSON.stringify([row.entity_type, row.entity_id, row.user_id, row.idem_key]),
      () => false,
    ),
  };
}
