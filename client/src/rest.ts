/**
 * Typed methods for every route of API.md v1.2. Entity answers are unwrapped (`getAuction` gives
 * the Auction), answers with more than one part (a bid, a page) are given whole.
 */
import { newIdempotencyKey, type RetryPolicy, send, type TransportOptions } from './transport.js';
import type {
  Auction,
  AuctionEventsPage,
  AuctionPage,
  Bid,
  Client,
  HealthResult,
  IdempotentRequestOptions,
  MyBidPage,
  MyOrderPage,
  NotificationPage,
  Order,
  Product,
  ProductPage,
  RequestOptions,
  WebhookResult,
} from './types.js';

export type RestClient = Omit<Client, 'connect'>;

const segment = (id: string) => encodeURIComponent(id);

export function createRestClient(transport: TransportOptions): RestClient {
  const get = <T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    options?: RequestOptions,
  ) => send<T>(transport, { method: 'GET', path, query, policy: 'read', signal: options?.signal });
  const post = <T>(path: string, body: unknown, policy: RetryPolicy, options?: IdempotentRequestOptions) =>
    send<T>(transport, {
      method: 'POST',
      path,
      body,
      policy,
      signal: options?.signal,
      // Made once per call, before the first attempt: every retry of this call carries it.
      ...(policy === 'keyed'
        ? { headers: { 'idempotency-key': options?.idempotencyKey ?? newIdempotencyKey() } }
        : {}),
    });

  return {
    health: (options) => get<HealthResult>('/health', {}, options),

    createAuction: async (input, options) =>
      (await post<{ auction: Auction }>('/auctions', input, 'once', options)).auction,
    getAuction: async (id, options) =>
      (await get<{ auction: Auction }>(`/auctions/${segment(id)}`, {}, options)).auction,
    listAuctions: (query = {}, options) =>
      get<AuctionPage>(
        '/auctions',
        { status: query.status, limit: query.limit, cursor: query.cursor },
        options,
      ),
    placeBid: (auctionId, input, options) =>
      post(`/auctions/${segment(auctionId)}/bids`, input, 'keyed', options),
    listBids: async (auctionId, query = {}, options) =>
      (await get<{ bids: Bid[] }>(`/auctions/${segment(auctionId)}/bids`, { limit: query.limit }, options))
        .bids,
    buyNow: async (auctionId, options) =>
      (
        await post<{ auction: Auction }>(
          `/auctions/${segment(auctionId)}/buy-now`,
          undefined,
          'keyed',
          options,
        )
      ).auction,
    endAuction: async (auctionId, options) =>
      (await post<{ auction: Auction }>(`/auctions/${segment(auctionId)}/end`, undefined, 'once', options))
        .auction,
    cancelAuction: async (auctionId, input, options) =>
      (await post<{ auction: Auction }>(`/auctions/${segment(auctionId)}/cancel`, input, 'once', options))
        .auction,
    auctionEvents: (auctionId, since = 0, options) =>
      get<AuctionEventsPage>(`/auctions/${segment(auctionId)}/events`, { since }, options),

    createProduct: async (input, options) =>
      (await post<{ product: Product }>('/products', input, 'once', options)).product,
    getProduct: async (id, options) =>
      (await get<{ product: Product }>(`/products/${segment(id)}`, {}, options)).product,
    listProducts: (query = {}, options) =>
      get<ProductPage>(
        '/products',
        { active: query.active, limit: query.limit, cursor: query.cursor },
        options,
      ),
    reserveOrder: async (input, options) =>
      (await post<{ order: Order }>('/orders', input, 'keyed', options)).order,
    getOrder: async (id, options) =>
      (await get<{ order: Order }>(`/orders/${segment(id)}`, {}, options)).order,
    cancelOrder: async (id, options) =>
      (await post<{ order: Order }>(`/orders/${segment(id)}/cancel`, undefined, 'once', options)).order,
    sendPaymentWebhook: (rawBody, signature, options) =>
      send<WebhookResult>(transport, {
        method: 'POST',
        path: '/payments/webhook',
        rawBody,
        headers: { 'x-webhook-signature': signature },
        policy: 'once',
        signal: options?.signal,
      }),

    myOrders: (query = {}, options) =>
      get<MyOrderPage>('/me/orders', { limit: query.limit, cursor: query.cursor }, options),
    myBids: (query = {}, options) =>
      get<MyBidPage>('/me/bids', { limit: query.limit, cursor: query.cursor }, options),
    myNotifications: (query = {}, options) =>
      get<NotificationPage>('/me/notifications', { since: query.since, limit: query.limit }, options),

    openapi: (options) => get<Record<string, unknown>>('/openapi.json', {}, options),
  };
}
