import type postgres from 'postgres';
import type { EventEnvelope } from '../../domain/events.js';
import type { EventSink, EventSinkWrite } from '../../ports/event-sink.js';
import { isDataRejection, type Sql } from './client.js';
import { type EventRows, RejectedEventError, rowsOf } from './event-rows.js';
import { deriveStoredNotifications } from './postgres-notifications.js';

type Tx = postgres.TransactionSql;

const ms = (column: string) => `to_timestamp(r.${column} / 1000.0)`;

/**
 * Writes a batch of events in one transaction with one statement per table, each statement taking
 * all its rows as one jsonb parameter (jsonb_to_recordset): few round trips (the statements are
 * pipelined), one prepared statement per table whatever the batch size.
 *
 * Idempotent: events and bids are keyed by their ids (ON CONFLICT DO NOTHING). Order-independent:
 * entity rows are replaced only by a state that ranks higher: (closed, seq) for auctions, seq for
 * products, (terminal status, seq) for orders.
 */
export class PostgresEventSink implements EventSink {
  constructor(private readonly sql: Sql) {}

  isRejection(error: unknown): boolean {
    return error instanceof RejectedEventError || isDataRejection(error);
  }

  async write(events: readonly EventEnvelope<Record<string, unknown>>[]): Promise<EventSinkWrite> {
    if (events.length === 0) return { rows: 0 };
    const rows = rowsOf(events);
    // The notifications are derived from what these statements stored, in the same transaction
    // (docs/notifications.md): they commit or roll back with the events.
    const { results, notifications } = await this.sql.begin(async (tx) => {
      const results = await Promise.all(statements(tx, rows));
      return { results, notifications: await deriveStoredNotifications(tx, events) };
    });
    return { rows: results.reduce((sum, result) => sum + result.count, 0), notifications };
  }
}

function statements(tx: Tx, rows: EventRows) {
  const json = (value: unknown) => tx.json(value as postgres.JSONValue);
  const queries: postgres.PendingQuery<postgres.Row[]>[] = [];
  if (rows.events.length > 0) {
    queries.push(tx`
      INSERT INTO events (event_id, entity_type, entity_id, seq, type, occurred_at, payload)
      SELECT r.event_id, r.entity_type, r.entity_id, r.seq, r.type, ${tx.unsafe(ms('occurred_at'))}, r.payload
      FROM jsonb_to_recordset(${json(rows.events)}) AS r(
        event_id text, entity_type text, entity_id text, seq bigint, type text, occurred_at bigint, payload jsonb)
      ON CONFLICT (event_id) DO NOTHING`);
  }
  if (rows.auctions.length > 0) {
    queries.push(tx`
      INSERT INTO auctions AS a (id, title, seller_id, starting_price, min_increment, reserve_price, starts_at,
        ends_at, extensions, current_price, leader_id, bid_count, seq, created_at, closed_at, state, last_event_at,
        buy_now_price, increment_table, cancelled, closed_by)
      SELECT r.id, r.title, r.seller_id, r.starting_price, r.min_increment, r.reserve_price,
        ${tx.unsafe(ms('starts_at'))}, ${tx.unsafe(ms('ends_at'))}, r.extensions, r.current_price, r.leader_id,
        r.bid_count, r.seq, ${tx.unsafe(ms('created_at'))}, ${tx.unsafe(ms('closed_at'))}, r.state,
        ${tx.unsafe(ms('last_event_at'))}, r.buy_now_price, r.increment_table, r.cancelled, r.closed_by
      FROM jsonb_to_recordset(${json(rows.auctions)}) AS r(
        id text, title text, seller_id text, starting_price bigint, min_increment bigint, reserve_price bigint,
        starts_at bigint, ends_at bigint, extensions integer, current_price bigint, leader_id text,
        bid_count integer, seq bigint, created_at bigint, closed_at bigint, state jsonb, last_event_at bigint,
        buy_now_price bigint, increment_table jsonb, cancelled boolean, closed_by text)
      ON CONFLICT (id) DO UPDATE SET
        title = excluded.title, ends_at = excluded.ends_at, extensions = excluded.extensions,
        current_price = excluded.current_price, leader_id = excluded.leader_id, bid_count = excluded.bid_count,
        seq = excluded.seq, closed_at = excluded.closed_at, state = excluded.state,
        min_increment = excluded.min_increment, cancelled = excluded.cancelled, closed_by = excluded.closed_by,
        last_event_at = greatest(a.last_event_at, excluded.last_event_at), updated_at = now()
      WHERE (excluded.closed_at IS NOT NULL, excluded.seq) > (a.closed_at IS NOT NULL, a.seq)`);
  }
  if (rows.bids.length > 0) {
    queries.push(tx`
      INSERT INTO bids (id, auction_id, bidder_id, amount, seq, placed_at, proxy, max_amount)
      SELECT r.id, r.auction_id, r.bidder_id, r.amount, r.seq, ${tx.unsafe(ms('placed_at'))}, r.proxy, r.max_amount
      FROM jsonb_to_recordset(${json(rows.bids)}) AS r(
        id text, auction_id text, bidder_id text, amount bigint, seq bigint, placed_at bigint, proxy boolean,
        max_amount bigint)
      ON CONFLICT DO NOTHING`);
  }
  if (rows.results.length > 0) {
    queries.push(tx`
      INSERT INTO auction_results (auction_id, winner_id, final_price, reserve_met, bid_count, ends_at, closed_at, seq,
        closed_by, cancelled, cancel_reason)
      SELECT r.auction_id, r.winner_id, r.final_price, r.reserve_met, r.bid_count, ${tx.unsafe(ms('ends_at'))},
        ${tx.unsafe(ms('closed_at'))}, r.seq, r.closed_by, r.cancelled, r.cancel_reason
      FROM jsonb_to_recordset(${json(rows.results)}) AS r(
        auction_id text, winner_id text, final_price bigint, reserve_met boolean, bid_count integer,
        ends_at bigint, closed_at bigint, seq bigint, closed_by text, cancelled boolean, cancel_reason text)
      ON CONFLICT (auction_id) DO NOTHING`);
  }
  if (rows.products.length > 0) {
    queries.push(tx`
      INSERT INTO products AS p (id, name, price, stock, available, per_user_limit, sale_starts_at, sale_ends_at,
        reservation_ttl_seconds, seq, state, last_event_at)
      SELECT r.id, r.name, r.price, r.stock, r.available, r.per_user_limit, ${tx.unsafe(ms('sale_starts_at'))},
        ${tx.unsafe(ms('sale_ends_at'))}, r.reservation_ttl_seconds, r.seq, r.state, ${tx.unsafe(ms('last_event_at'))}
      FROM jsonb_to_recordset(${json(rows.products)}) AS r(
        id text, name text, price bigint, stock integer, available integer, per_user_limit integer,
        sale_starts_at bigint, sale_ends_at bigint, reservation_ttl_seconds integer, seq bigint, state jsonb,
        last_event_at bigint)
      ON CONFLICT (id) DO UPDATE SET
        name = excluded.name, price = excluded.price, stock = excluded.stock, available = excluded.available,
        per_user_limit = excluded.per_user_limit, sale_starts_at = excluded.sale_starts_at,
        sale_ends_at = excluded.sale_ends_at, reservation_ttl_seconds = excluded.reservation_ttl_seconds,
        seq = excluded.seq, state = excluded.state,
        last_event_at = greatest(p.last_event_at, excluded.last_event_at), updated_at = now()
      WHERE excluded.seq > p.seq`);
  }
  if (rows.orders.length > 0) {
    queries.push(tx`
      INSERT INTO orders AS o (id, product_id, user_id, qty, amount, status, status_rank, created_at, expires_at,
        paid_at, refund_required, seq, record)
      SELECT r.id, r.product_id, r.user_id, r.qty, r.amount, r.status, r.status_rank, ${tx.unsafe(ms('created_at'))},
        ${tx.unsafe(ms('expires_at'))}, ${tx.unsafe(ms('paid_at'))}, r.refund_required, r.seq, r.record
      FROM jsonb_to_recordset(${json(rows.orders)}) AS r(
        id text, product_id text, user_id text, qty integer, amount bigint, status text, status_rank smallint,
        created_at bigint, expires_at bigint, paid_at bigint, refund_required boolean, seq bigint, record jsonb)
      ON CONFLICT (id) DO UPDATE SET
        status = excluded.status, status_rank = excluded.status_rank, paid_at = excluded.paid_at,
        refund_required = excluded.refund_required, seq = excluded.seq, record = excluded.record, updated_at = now()
      WHERE (excluded.status_rank, excluded.seq) > (o.status_rank, o.seq)`);
  }
  if (rows.payments.length > 0) {
    queries.push(tx`
      INSERT INTO payment_events (id, order_id, type, amount, outcome, received_at, event_id, payload)
      SELECT r.id, r.order_id, r.type, r.amount, r.outcome, ${tx.unsafe(ms('received_at'))}, r.event_id, r.payload
      FROM jsonb_to_recordset(${json(rows.payments)}) AS r(
        id text, order_id text, type text, amount bigint, outcome text, received_at bigint, event_id text,
        payload jsonb)
      ON CONFLICT (id) DO NOTHING`);
  }
  if (rows.decisions.length > 0) {
    queries.push(tx`
      INSERT INTO idempotency_decisions (entity_type, entity_id, user_id, idem_key, fingerprint, event_id, decided_at)
      SELECT r.entity_type, r.entity_id, r.user_id, r.idem_key, r.fingerprint, r.event_id,
        ${tx.unsafe(ms('decided_at'))}
      FROM jsonb_to_recordset(${json(rows.decisions)}) AS r(
        entity_type text, entity_id text, user_id text, idem_key text, fingerprint text, event_id text,
        decided_at bigint)
      ON CONFLICT DO NOTHING`);
  }
  return queries;
}
