import type { AuctionState, Bid } from '../domain/auction.js';
import type { SortKey } from '../domain/cursor.js';
import type { Order, ProductState } from '../domain/product.js';

export type AuctionListing = 'open' | 'scheduled' | 'closed';

export interface PageQuery {
  /** Rows to return at most. */
  limit: number;
  /** Start after this position (exclusive); null for the first page. */
  after: SortKey | null;
}

/** A page of rows with the read model's clock at the moment of the query (epoch ms). */
export interface ReadPage<T> {
  now: number;
  rows: T[];
}

export interface OrderRow {
  order: Order;
  /** The product seq of the order's last change. */
  seq: number;
}

export interface MyBidRow {
  bid: Bid;
  /** Whether the auction's leader (as persisted) is the bidder. */
  leading: boolean;
}

/**
 * The PostgreSQL copy the writer keeps (write-behind), read for listings. Every listing is in a
 * fixed order with a unique key (sort time, id), so pages are keyset pages: no OFFSET, and rows
 * created while a client pages never shift the rows it has not seen yet.
 * Orders: open / scheduled auctions by (endsAt, id) ascending, closed by (endsAt, id) descending;
 * products by (saleStartsAt, id) descending; a user's orders by (createdAt, id) and bids by
 * (placedAt, id), descending.
 */
export interface ReadModel {
  auctions(listing: AuctionListing, page: PageQuery): Promise<ReadPage<AuctionState>>;
  products(active: boolean, page: PageQuery): Promise<ReadPage<ProductState>>;
  ordersOf(userId: string, page: PageQuery): Promise<ReadPage<OrderRow>>;
  bidsOf(userId: string, page: PageQuery): Promise<ReadPage<MyBidRow>>;
}
