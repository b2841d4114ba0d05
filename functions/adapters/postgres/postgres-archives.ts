import { decodeTime } from 'ulid';
import type { Bid } from '../../domain/auction.js';
import { parseAuctionRecord } from '../../domain/auction-record.js';
import type { EventEnvelope, EventType } from '../../domain/events.js';
import type { Order } from '../../domain/product.js';
import {
  type OrderRecord,
  type PaymentRecord,
  parseOrderRecord,
  parseProductRecord,
} from '../../domain/product-record.js';
import type { ArchivedAuction, AuctionArchive } from '../../ports/auction-archive.js';
import type { ProductArchive } from '../../ports/product-archive.js';
import type { ArchivedDecision, ArchivedProduct } from '../../ports/product-store.js';
import type { Sql } from './client.js';
import { MissCache } from './miss-cache.js';

/** Whether everything sent for an entity before `fencedSince` is persisted (see PersistQueueProbe). */
export interface SettledCheck {
  /** `entity` (`auction:ID` / `product:ID`): dead letters of other entities do not count. */
  settled(fencedSince: number, entity?: string): Promise<boolean>;
}

/** Never settled: without a way to look at the queue, a lost entity is never rebuilt (503 stays). */
export const NEVER_SETTLED: SettledCheck = { settled: async () => false };

interface EventRow {
  event_id: string;
  type: EventType;
  entity_type: 'auction' | 'product';
  entity_id: string;
  seq: number;
  occurred_at: Date;
  payload: Record<string, unknown>;
}

const toEnvelope = (row: EventRow): EventEnvelope => ({
  eventId: row.event_id,
  type: row.type,
  entityType: row.entity_type,
  entityId: row.entity_id,
  seq: row.seq,
  occurredAt: row.occurred_at.getTime(),
  payload: row.payload,
});

/** An entity's Idempotency-Key decisions of the last 24 h (API.md keeps them that long), with their events. */
async function decisionsOf(
  sql: Sql,
  entityType: 'auction' | 'product',
  entityId: string,
): Promise<ArchivedDecision[]> {
  const rows = await sql<(EventRow & { user_id: string; idem_key: string; fingerprint: string })[]>`
    SELECT d.user_id, d.idem_key, d.fingerprint,
      e.event_id, e.type, e.entity_type, e.entity_id, e.seq, e.occurred_at, e.payload
    FROM idempotency_decisions d JOIN events e ON e.event_id = d.event_id
    WHERE d.entity_type = ${entityType} AND d.entity_id = ${entityId}
      AND d.decided_at > now() - interval '24 hours'`;
  return rows.map((row) => ({
    userId: row.user_id,
    key: row.idem_key,
    fingerprint: row.fingerprint,
    event: toEnvelope(row),
  }));
}

export class PostgresAuctionArchive implements AuctionArchive {
  constructor(
    private readonly sql: Sql,
    private readonly settledCheck: SettledCheck = NEVER_SETTLED,
    private readonly misses: MissCache = new MissCache(),
  ) {}

  async find(auctionId: string): Promise<ArchivedAuction | null> {
    if (this.misses.has(auctionId)) return null;
    const [row] = await this.sql<{ state: Record<string, string> }[]>`
      SELECT state FROM auctions WHERE id = ${auctionId}`;
    if (!row) this.misses.add(auctionId);
    return row ? { state: parseAuctionRecord(row.state), record: row.state } : null;
  }

  async recentBids(auctionId: string, limit: number): Promise<Bid[]> {
    // Never max_amount: these bids are public (GET /auctions/{id}/bids, a rebuilt bids list).
    const rows = await this.sql<
      { id: string; bidder_id: string; amount: number; seq: number; placed_at: Date; proxy: boolean }[]
    >`
      SELECT id, bidder_id, amount, seq, placed_at, proxy FROM bids
      WHERE auction_id = ${auctionId} ORDER BY seq DESC LIMIT ${limit}`;
    return rows.map((row) => {
      const bid: Bid = {
        id: row.id,
        auctionId,
        bidderId: row.bidder_id,
        amount: row.amount,
        seq: row.seq,
        placedAt: row.placed_at.getTime(),
      };
      if (row.proxy) bid.proxy = true;
      return bid;
    });
  }

  async events(auctionId: string, sinceSeq: number, limit: number): Promise<EventEnvelope[]> {
    const rows = await this.sql<EventRow[]>`
      SELECT event_id, type, entity_type, entity_id, seq, occurred_at, payload FROM events
      WHERE entity_type = 'auction' AND entity_id = ${auctionId} AND seq > ${sinceSeq}
      ORDER BY seq LIMIT ${limit}`;
    return rows.map(toEnvelope);
  }

  decisions(auctionId: string): Promise<ArchivedDecision[]> {
    return decisionsOf(this.sql, 'auction', auctionId);
  }

  settled(auctionId: string, fencedSince: number): Promise<boolean> {
    return this.settledCheck.settled(fencedSince, `auction:${auctionId}`);
  }

  async mayBeInFlight(auctionId: string): Promise<boolean> {
    // Without a probe (the ws function on AWS has no persist queue to ask) nothing can be told:
    // unknown, as before; the HTTP function and the sweeper, which decide, do ask.
    if (this.settledCheck === NEVER_SETTLED) return false;
    // A server-made id (ULID) tells when it was made: the settle time runs from then. A given id
    // does not: only the queue's state counts.
    const madeAt = ULID.test(auctionId) ? decodeTime(auctionId) : 0;
    const inFlight = !(await this.settledCheck.settled(Math.min(madeAt, Date.now()), `auction:${auctionId}`));
    if (inFlight) this.misses.forget(auctionId);
    return inFlight;
  }
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The ProductArchive port of the flash-sale side, on the tables the writer fills. */
export class PostgresProductArchive implements ProductArchive {
  constructor(
    private readonly sql: Sql,
    private readonly settledCheck: SettledCheck = NEVER_SETTLED,
    private readonly misses: MissCache = new MissCache(),
  ) {}

  async find(productId: string): Promise<ArchivedProduct | null> {
    if (this.misses.has(productId)) return null;
    const [product] = await this.sql<{ state: Record<string, string> }[]>`
      SELECT state FROM products WHERE id = ${productId}`;
    if (!product) {
      this.misses.add(productId);
      return null;
    }
    const orders = await this.sql<{ record: OrderRecord }[]>`
      SELECT record FROM orders WHERE product_id = ${productId} ORDER BY id`;
    const [payments, decisions] = await Promise.all([
      this.sql<{ payload: PaymentRecord }[]>`
        SELECT pe.payload FROM payment_events pe JOIN orders o ON o.id = pe.order_id
        WHERE o.product_id = ${productId}`,
      decisionsOf(this.sql, 'product', productId),
    ]);
    return {
      product: parseProductRecord(product.state),
      orders: orders.map((row) => parseOrderRecord(row.record)),
      payments: payments.map((row) => row.payload),
      decisions,
    };
  }

  async findOrders(orderIds: readonly string[]): Promise<Order[]> {
    if (orderIds.length === 0) return [];
    const rows = await this.sql<{ record: OrderRecord }[]>`
      SELECT record FROM orders WHERE id = ANY(${orderIds as string[]})`;
    return rows.map((row) => parseOrderRecord(row.record));
  }

  async findOrder(orderId: string): Promise<Order | null> {
    const [row] = await this.sql<{ record: OrderRecord }[]>`SELECT record FROM orders WHERE id = ${orderId}`;
    return row ? parseOrderRecord(row.record) : null;
  }

  settled(productId: string, fencedSince: number): Promise<boolean> {
    return this.settledCheck.settled(fencedSince, `product:${productId}`);
  }

  async mayBeInFlight(sentAt: number): Promise<boolean> {
    return !(await this.settledCheck.settled(sentAt));
  }
}
