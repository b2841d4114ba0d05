import { type AuctionView, type BidView, toAuctionView, toBidView } from '../../domain/auction.js';
import { decodeCursor, encodeCursor, type SortKey } from '../../domain/cursor.js';
import { type OrderView, type ProductView, toOrderView, toProductView } from '../../domain/product.js';
import type { AuctionListing, PageQuery, ReadModel, ReadPage } from '../../ports/read-model.js';

/**
 * Browse and my activity (API.md v1.1): listings served from the PostgreSQL read model, never from
 * Redis, so a listing costs the deciding side nothing. What the writer has not stored yet is not
 * listed yet; every item carries its seq so a client can tell it from a newer real-time update.
 */
export interface BrowseDeps {
  readModel: ReadModel;
}

export interface PageRequest {
  limit: number;
  /** The opaque `next` of the previous page, if any. */
  cursor?: string | undefined;
}

export type MyBidView = BidView & { leading: boolean };
export type MyOrderView = OrderView & { seq: number };

/**
 * One page: asks for one row more than the limit to know whether a next page exists, so `next` is
 * null exactly on the last page.
 */
async function page<Row, View>(
  listing: string,
  request: PageRequest,
  read: (query: PageQuery) => Promise<ReadPage<Row>>,
  keyOf: (row: Row) => SortKey,
  render: (row: Row, now: number) => View,
): Promise<{ items: View[]; next: string | null }> {
  const after = request.cursor === undefined ? null : decodeCursor(listing, request.cursor);
  const { now, rows } = await read({ limit: request.limit + 1, after });
  const shown = rows.slice(0, request.limit);
  const last = shown.at(-1);
  return {
    items: shown.map((row) => render(row, now)),
    next: rows.length > request.limit && last !== undefined ? encodeCursor(listing, keyOf(last)) : null,
  };
}

export async function listAuctions(
  deps: BrowseDeps,
  status: AuctionListing,
  request: PageRequest,
): Promise<{ auctions: AuctionView[]; next: string | null }> {
  const { items, next } = await page(
    `auctions:${status}`,
    request,
    (query) => deps.readModel.auctions(status, query),
    (state) => ({ at: state.endsAt, id: state.id }),
    toAuctionView,
  );
  return { auctions: items, next };
}

export async function listProducts(
  deps: BrowseDeps,
  active: boolean,
  request: PageRequest,
): Promise<{ products: ProductView[]; next: string | null }> {
  const { items, next } = await page(
    `products:${active}`,
    request,
    (query) => deps.readModel.products(active, query),
    (state) => ({ at: state.saleStartsAt, id: state.id }),
    (state) => toProductView(state),
  );
  return { products: items, next };
}

export async function listMyOrders(
  deps: BrowseDeps,
  userId: string,
  request: PageRequest,
): Promise<{ orders: MyOrderView[]; next: string | null }> {
  const { items, next } = await page(
    'me:orders',
    request,
    (query) => deps.readModel.ordersOf(userId, query),
    (row) => ({ at: row.order.createdAt, id: row.order.id }),
    (row, now) => ({ ...toOrderView(row.order, now), seq: row.seq }),
  );
  return { orders: items, next };
}

export async function listMyBids(
  deps: BrowseDeps,
  userId: string,
  request: PageRequest,
): Promise<{ bids: MyBidView[]; next: string | null }> {
  const { items, next } = await page(
    'me:bids',
    request,
    (query) => deps.readModel.bidsOf(userId, query),
    (row) => ({ at: row.bid.placedAt, id: row.bid.id }),
    (row) => ({ ...toBidView(row.bid), leading: row.leading }),
  );
  return { bids: items, next };
}
