/**
 * The client's types. Every entity, request body and response is inferred from the server's zod
 * schemas (functions/api/schemas.ts) with `import type`: erased by TypeScript and esbuild, so a
 * browser bundle pulls no server code and the types cannot drift from the validation.
 */
// <server-types> Everything from here to the closing marker is derived from the server's schemas:
// scripts/build-client.ts replaces it in the built package by the same types written out in full
// (no zod, no server path in the published .d.ts).
import type { z } from 'zod';
import type * as schemas from '../../functions/api/schemas.js';
import type {
  Auction,
  AuctionEvent,
  Bid,
  CancelAuctionInput,
  CreateAuctionInput,
  CreateProductInput,
  MyBid,
  MyOrder,
  Notification,
  Order,
  PaymentEventInput,
  PlaceBidInput,
  Product,
  ReserveOrderInput,
} from '../../functions/api/schemas.js';
import type {
  BroadcastInfo,
  ClientMessage,
  Delivery,
  ServerMessage,
  WsErrorCode,
} from '../../functions/realtime/protocol.js';

export type {
  Auction,
  AuctionEvent,
  Bid,
  CancelAuctionInput,
  CreateAuctionInput,
  CreateProductInput,
  MyBid,
  MyOrder,
  Notification,
  Order,
  PaymentEventInput,
  PlaceBidInput,
  Product,
  ReserveOrderInput,
};

export type PlaceBidResult = z.infer<typeof schemas.placeBidResponse>;
export type AuctionEventsPage = z.infer<typeof schemas.auctionEventsResponse>;
export type AuctionPage = z.infer<typeof schemas.auctionPageResponse>;
export type ProductPage = z.infer<typeof schemas.productPageResponse>;
export type MyOrderPage = z.infer<typeof schemas.myOrderPageResponse>;
export type MyBidPage = z.infer<typeof schemas.myBidPageResponse>;
export type NotificationPage = z.infer<typeof schemas.notificationPageResponse>;
/** Query of `GET /me/notifications`: after `since` (default 0), `limit` 1..100 (default 20). */
export type NotificationsQuery = Partial<z.infer<typeof schemas.notificationsQuery>>;
export type WebhookResult = z.infer<typeof schemas.webhookResponse>;
export type HealthResult = z.infer<typeof schemas.healthResponse>;

/** Query of `GET /auctions`, as the server reads it; every field optional (the server has defaults). */
export type ListAuctionsQuery = Partial<z.infer<typeof schemas.listAuctionsQuery>>;
/** Query of `GET /products` (`active` as the boolean the server reads it as). */
export type ListProductsQuery = Partial<z.infer<typeof schemas.listProductsQuery>>;
/** `limit` and `cursor` of `/me/orders` and `/me/bids`. */
export type PageQuery = Partial<z.infer<typeof schemas.pageQuery>>;
/** The WebSocket messages both ways: the server's own types (functions/realtime/protocol.ts). */
export type { BroadcastInfo, ClientMessage, Delivery, ServerMessage, WsErrorCode };
// </server-types>

// --- transport ----------------------------------------------------------------------------------

/** The subset of the WHATWG WebSocket the client uses: the browser's, Node 22's, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A token, or a function that gives the current one (read before every request and connect). */
export type TokenSource =
  | string
  | null
  | undefined
  | (() => string | null | undefined | Promise<string | null | undefined>);

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** First backoff, doubled per retry, with full jitter (default 200 ms). */
  baseDelayMs?: number;
  /** Longest wait between two attempts, Retry-After included (default 10 s). */
  maxDelayMs?: number;
}

export interface ClientOptions {
  /** The HTTP API, e.g. `http://127.0.0.1:3000` (local) or the API Gateway stage URL. */
  baseUrl: string;
  /** The WebSocket API, e.g. `ws://127.0.0.1:3001`; needed by `connect()` only. */
  wsUrl?: string;
  /** Bearer token of the user (or admin); anonymous when absent. */
  token?: TokenSource;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Default: the global `WebSocket` (Node before 22 has none: pass the `ws` package's). */
  WebSocket?: WebSocketConstructor;
  /** Retries of bids and orders (same Idempotency-Key) and of reads, on network errors and 503. */
  retry?: RetryOptions;
  /** Per attempt; an attempt that takes longer counts as a network error (default 10 s). */
  timeoutMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface IdempotentRequestOptions extends RequestOptions {
  /** Default: a fresh random key per call, reused by that call's retries. */
  idempotencyKey?: string;
}

// --- live -----------------------------------------------------------------------------------------

export type TopicName = `auction:${string}` | `product:${string}`;

/**
 * What the app gets for an auction topic: always a state newer (higher seq) than the one before.
 * `source` tells where it came from: the subscribe snapshot, a live push, or `/events` catch-up.
 */
export interface AuctionUpdate {
  topic: `auction:${string}`;
  seq: number;
  auction: Auction;
  /** The bid that made this state, when there was one (live pushes and catch-up events). */
  lastBid: Bid | null;
  /** `bid.accepted`, `auction.closed`, ... for catch-up events; the message type for pushes. */
  type: string;
  source: UpdateSource;
}

export interface ProductUpdate {
  topic: `product:${string}`;
  seq: number;
  product: Product;
  source: UpdateSource;
}

export type UpdateSource = 'snapshot' | 'live' | 'catch-up';

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveError {
  /**
   * A server `error` message's code, or `catch_up_failed` / `connect_failed`, or `channel_failed`
   * (the broadcast channel's socket or subscription: it is retried on its own).
   */
  code: WsErrorCode | 'catch_up_failed' | 'connect_failed' | 'channel_failed';
  message: string;
  topic?: string;
}

export interface LiveOptions {
  /** Default: the client's token. */
  token?: TokenSource;
  /** A ping every so often keeps the connection under API Gateway's 10-minute idle limit (default 5 min). */
  pingIntervalMs?: number;
  /** No pong within this after a ping: the connection is taken as dead and replaced (default 15 s). */
  pongTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap, full jitter (defaults 250 ms and 15 s). */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
}

export type Unsubscribe = () => void;

export interface Live {
  readonly status: LiveStatus;
  /** Auction states, ever newer; catches up through `/auctions/{id}/events` after a gap or a reconnect. */
  subscribeAuction(id: string, listener: (update: AuctionUpdate) => void): Unsubscribe;
  /** Product states, ever newer (every message is the full product, so the newest is the truth). */
  subscribeProduct(id: string, listener: (update: ProductUpdate) => void): Unsubscribe;
  /**
   * The caller's notifications (needs a token): each once, in seq order; after a gap or a reconnect
   * the missed ones are fetched from `GET /me/notifications`. `since`: start after this seq
   * (default: from the subscribe on). `onSubscribed`: the user's newest seq at each (re)subscribe,
   * once the server has registered the subscription (what came after it will be delivered).
   */
  subscribeMe(
    listener: (notification: Notification) => void,
    options?: { since?: number; onSubscribed?: (seq: number) => void },
  ): Unsubscribe;
  onStatus(listener: (status: LiveStatus) => void): Unsubscribe;
  onError(listener: (error: LiveError) => void): Unsubscribe;
  /** Closes the socket for good (no reconnect). */
  close(): void;
}

export interface Client {
  health(options?: RequestOptions): Promise<HealthResult>;

  // live auctions
  createAuction(input: CreateAuctionInput, options?: RequestOptions): Promise<Auction>;
  getAuction(id: string, options?: RequestOptions): Promise<Auction>;
  listAuctions(query?: ListAuctionsQuery, options?: RequestOptions): Promise<AuctionPage>;
  placeBid(
    auctionId: string,
    input: PlaceBidInput,
    options?: IdempotentRequestOptions,
  ): Promise<PlaceBidResult>;
  listBids(auctionId: string, query?: { limit?: number }, options?: RequestOptions): Promise<Bid[]>;
  /**
   * Buy It Now (API.md v1.2): the auction closes at once with this user as the winner at
   * `buyNowPrice`. Keyed like a bid: retried with one Idempotency-Key. Refusals: `buy_now_unavailable`,
   * `auction_closed`, `auction_not_open`, `seller_cannot_bid`.
   */
  buyNow(auctionId: string, options?: IdempotentRequestOptions): Promise<Auction>;
  /** The seller (admin who created it) ends the auction now: the winner as at endsAt. Sent once. */
  endAuction(auctionId: string, options?: RequestOptions): Promise<Auction>;
  /** The seller cancels the auction (closed, no winner) with a reason for the bidders. Sent once. */
  cancelAuction(auctionId: string, input: CancelAuctionInput, options?: RequestOptions): Promise<Auction>;
  /** One page: events with `seq > since`, oldest first; `next` is the since of the next page. */
  auctionEvents(auctionId: string, since?: number, options?: RequestOptions): Promise<AuctionEventsPage>;

  // flash sales
  createProduct(input: CreateProductInput, options?: RequestOptions): Promise<Product>;
  getProduct(id: string, options?: RequestOptions): Promise<Product>;
  listProducts(query?: ListProductsQuery, options?: RequestOptions): Promise<ProductPage>;
  reserveOrder(input: ReserveOrderInput, options?: IdempotentRequestOptions): Promise<Order>;
  getOrder(id: string, options?: RequestOptions): Promise<Order>;
  cancelOrder(id: string, options?: RequestOptions): Promise<Order>;
  /** For payment providers and tests: the raw body and its `X-Webhook-Signature`, sent as given. */
  sendPaymentWebhook(rawBody: string, signature: string, options?: RequestOptions): Promise<WebhookResult>;

  // my activity
  myOrders(query?: PageQuery, options?: RequestOptions): Promise<MyOrderPage>;
  myBids(query?: PageQuery, options?: RequestOptions): Promise<MyBidPage>;
  /** `GET /me/notifications`: the caller's notifications after `since`, oldest first. */
  myNotifications(query?: NotificationsQuery, options?: RequestOptions): Promise<NotificationPage>;

  /** The OpenAPI 3.1 document. */
  openapi(options?: RequestOptions): Promise<Record<string, unknown>>;

  /** A live subscription object on `wsUrl` (connects now, reconnects until `close()`). */
  connect(options?: LiveOptions): Live;
}
