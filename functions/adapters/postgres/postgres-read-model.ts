import type postgres from 'postgres';
import type { AuctionState } from '../../domain/auction.js';
import { parseAuctionRecord } from '../../domain/auction-record.js';
import type { SortKey } from '../../domain/cursor.js';
import type { ProductState } from '../../domain/product.js';
import { type OrderRecord, parseOrderRecord, parseProductRecord } from '../../domain/product-record.js';
import type {
  AuctionListing,
  MyBidRow,
  OrderRow,
  PageQuery,
  ReadModel,
  ReadPage,
} from '../../ports/read-model.js';
import type { Sql } from './client.js';

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * The listings of the read model on the writer's tables (indexes: migrations/0003_browse.sql).
 *
 * Each query reads the database clock once (`now()`, fixed for the statement) and uses it both to
 * filter and, returned with the rows, to render statuses: a page never mixes two instants. The
 * clock row is LEFT JOINed so an empty page still says what time it was.
 *
 * Keyset pages: `(time column, id) > / < (cursor)` on a btree of (time column, id), the cursor time
 * converted exactly as the writer converted the row's epoch ms (`to_timestamp(ms / 1000.0)`), so
 * the row a cursor came from compares equal to it.
 */
export class PostgresReadModel implements ReadModel {
  constructor(private readonly sql: Sql) {}

  private position(
    after: SortKey | null,
    [timeColumn, idColumn]: [string, string],
    direction: 'asc' | 'desc',
  ): Fragment {
    const sql = this.sql;
    if (after === null) return sql``;
    const op = sql.unsafe(direction === 'asc' ? '>' : '<');
    return sql`AND (${sql(timeColumn)}, ${sql(idColumn)}) ${op} (to_timestamp(${after.at}::bigint / 1000.0), ${after.id})`;
  }

  async auctions(listing: AuctionListing, page: PageQuery): Promise<ReadPage<AuctionState>> {
    const sql = this.sql;
    const direction = listing === 'closed' ? 'desc' : 'asc';
    const where = {
      // closed_at is only ever set once ends_at has passed (the sweeper closes ended auctions; an
      // early close by a buy-now or the seller moves ends_at to the close), so "ended" is the whole
      // closed set, and a range of the (ends_at, id) index.
      closed: sql`ends_at <= c.now`,
      open: sql`ends_at > c.now AND starts_at <= c.now AND closed_at IS NULL`,
      scheduled: sql`ends_at > c.now AND starts_at > c.now AND closed_at IS NULL`,
    }[listing];
    const order = sql.unsafe(direction === 'asc' ? 'ASC' : 'DESC');
    const rows = await sql<{ now_ms: number; state: Record<string, string> | null }[]>`
      SELECT (extract(epoch FROM c.now) * 1000)::bigint AS now_ms, a.state
      FROM (SELECT now() AS now) c
      LEFT JOIN LATERAL (
        SELECT id, ends_at, state FROM auctions
        WHERE ${where} ${this.position(page.after, ['ends_at', 'id'], direction)}
        ORDER BY ends_at ${order}, id ${order}
        LIMIT ${page.limit}
      ) a ON true
      ORDER BY a.ends_at ${order}, a.id ${order}`;
    return {
      now: nowOf(rows),
      rows: rows.flatMap((row) => (row.state ? [parseAuctionRecord(row.state)] : [])),
    };
  }

  async products(active: boolean, page: PageQuery): Promise<ReadPage<ProductState>> {
    const sql = this.sql;
    const window = sql`sale_starts_at <= c.now AND (sale_ends_at IS NULL OR sale_ends_at > c.now)`;
    const rows = await sql<{ now_ms: number; state: Record<string, string> | null }[]>`
      SELECT (extract(epoch FROM c.now) * 1000)::bigint AS now_ms, p.state
      FROM (SELECT now() AS now) c
      LEFT JOIN LATERAL (
        SELECT id, sale_starts_at, state FROM products
        WHERE ${active ? window : sql`NOT (${window})`} ${this.position(page.after, ['sale_starts_at', 'id'], 'desc')}
        ORDER BY sale_starts_at DESC, id DESC
        LIMIT ${page.limit}
      ) p ON true
      ORDER BY p.sale_starts_at DESC, p.id DESC`;
    return {
      now: nowOf(rows),
      rows: rows.flatMap((row) => (row.state ? [parseProductRecord(row.state)] : [])),
    };
  }

  async ordersOf(userId: string, page: PageQuery): Promise<ReadPage<OrderRow>> {
    const sql = this.sql;
    const rows = await sql<{ now_ms: number; record: OrderRecord | null; seq: number | null }[]>`
      SELECT (extract(epoch FROM c.now) * 1000)::bigint AS now_ms, o.record, o.seq
      FROM (SELECT now() AS now) c
      LEFT JOIN LATERAL (
        SELECT id, created_at, record, seq FROM orders
        WHERE user_id = ${userId} ${this.position(page.after, ['created_at', 'id'], 'desc')}
        ORDER BY created_at DESC, id DESC
        LIMIT ${page.limit}
      ) o ON true
      ORDER BY o.created_at DESC, o.id DESC`;
    return {
      now: nowOf(rows),
      rows: rows.flatMap((row) =>
        row.record ? [{ order: parseOrderRecord(row.record), seq: row.seq as number }] : [],
      ),
    };
  }

  async bidsOf(userId: string, page: PageQuery): Promise<ReadPage<MyBidRow>> {
    const sql = this.sql;
    const rows = await sql<
      {
        now_ms: number;
        id: string | null;
        auction_id: string;
        amount: number;
        seq: number;
        placed_at: Date;
        leading: boolean;
      }[]
    >`
      SELECT (extract(epoch FROM c.now) * 1000)::bigint AS now_ms, b.*
      FROM (SELECT now() AS now) c
      LEFT JOIN LATERAL (
        SELECT bids.id, bids.auction_id, bids.amount, bids.seq, bids.placed_at,
          -- Nobody leads a cancelled auction (API.md v1.2).
          coalesce(auctions.leader_id = bids.bidder_id AND NOT auctions.cancelled, false) AS leading
        FROM bids LEFT JOIN auctions ON auctions.id = bids.auction_id
        WHERE bids.bidder_id = ${userId} ${this.position(page.after, ['bids.placed_at', 'bids.id'], 'desc')}
        ORDER BY bids.placed_at DESC, bids.id DESC
        LIMIT ${page.limit}
      ) b ON true
      ORDER BY b.placed_at DESC, b.id DESC`;
    return {
      now: nowOf(rows),
      rows: rows.flatMap((row) =>
        row.id === null
          ? []
          : [
              {
                bid: {
                  id: row.id,
                  auctionId: row.auction_id,
                  bidderId: userId,
                  amount: row.amount,
                  seq: row.seq,
                  placedAt: row.placed_at.getTime(),
                },
                leading: row.leading,
              },
            ],
      ),
    };
  }
}

const nowOf = (rows: readonly { now_ms: number }[]): number => (rows[0] as { now_ms: number }).now_ms;
