/**
 * The OpenAPI 3.1 document of the HTTP API, generated (zod-openapi, on zod 4's own JSON Schema
 * conversion) from the schemas in ./schemas.ts that the routes validate with: request schemas are
 * rendered as their input (what a client sends), response schemas as their output.
 * Browser-safe, like ./schemas.ts.
 */
import type { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import * as s from './schemas.js';

type Codes = readonly [string, ...string[]];

const json = (schema: z.ZodType, examples?: Record<string, unknown>) => ({
  'application/json': {
    schema,
    ...(examples
      ? { examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])) }
      : {}),
  },
});

/** One response per status; its `code` is one of the codes that route can answer with. */
const errors = (
  byStatus: Record<number, { description: string; codes: Codes; examples?: Record<string, unknown> }>,
) =>
  Object.fromEntries(
    Object.entries(byStatus).map(([status, { description, codes, examples }]) => [
      status,
      {
        description: `${description} (${codes.join(', ')})`,
        ...(status === '429' || status === '503'
          ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
          : {}),
        content: json(
          s.errorSchema(codes),
          examples ?? {
            [codes[0]]: { error: { code: codes[0], message: `${codes[0].replace(/_/g, ' ')}` } },
          },
        ),
      },
    ]),
  );

const invalid = {
  description: 'Bad input: the offending field is named in message',
  codes: ['invalid_request'] as const,
};
const unauthorized = { description: 'Missing or invalid bearer token', codes: ['unauthorized'] as const };
const forbidden = { description: 'The token has no admin role', codes: ['forbidden'] as const };
const tooLarge = { description: 'The body is over 16 KiB', codes: ['payload_too_large'] as const };
const mediaType = { description: 'The body is not JSON', codes: ['unsupported_media_type'] as const };
const unavailable = (...codes: string[]) => ({
  description: 'A dependency is down, or the entity is being rebuilt: retry after Retry-After',
  codes: ['service_unavailable', ...codes] as unknown as Codes,
});
const rateLimited = {
  description: 'Too many requests',
  codes: ['rate_limited'] as const,
  examples: {
    rate_limited: {
      error: { code: 'rate_limited', message: 'too many requests, retry in 1s', retryAfterSeconds: 1 },
    },
  },
};
const reused = {
  description: 'This Idempotency-Key was used with another request',
  codes: ['idempotency_key_reused'] as const,
};

const bearer = [{ bearerAuth: [] }];

const example = {
  auction: {
    id: '01JDQ7Z8K3M4N5P6Q7R8S9T0VW',
    title: 'Vintage guitar',
    sellerId: 'admin-1',
    status: 'open',
    startingPrice: 10_000,
    minIncrement: 500,
    currentPrice: 12_000,
    leaderId: 'alice',
    bidCount: 3,
    minimumNextBid: 12_500,
    startsAt: '2026-12-01T18:00:00.000Z',
    endsAt: '2026-12-01T20:00:00.000Z',
    extensions: 0,
    reserveMet: true,
    seq: 4,
    winnerId: null,
    finalPrice: null,
    buyNowPrice: null,
    buyNowAvailable: false,
    incrementTable: null,
    cancelled: false,
    closedBy: null,
  },
  bid: {
    id: '01JDQ80A1B2C3D4E5F6G7H8J9K',
    auctionId: '01JDQ7Z8K3M4N5P6Q7R8S9T0VW',
    bidderId: 'alice',
    amount: 12_000,
    seq: 4,
    placedAt: '2026-12-01T18:30:00.000Z',
  },
  product: {
    id: 'sneaker-drop',
    name: 'Limited sneaker',
    price: 15_000,
    stock: 100,
    available: 42,
    perUserLimit: 2,
    saleStartsAt: '2026-12-01T18:00:00.000Z',
    saleEndsAt: null,
    reservationTtlSeconds: 600,
    seq: 59,
  },
  order: {
    id: '01JDQ81XYZ0123456789ABCDEFabc',
    productId: 'sneaker-drop',
    userId: 'alice',
    qty: 1,
    amount: 15_000,
    status: 'reserved',
    createdAt: '2026-12-01T18:31:00.000Z',
    expiresAt: '2026-12-01T18:41:00.000Z',
  },
};
const next = 'WyJhdWN0aW9uczpvcGVuIiwxNzY0NjEyMDAwMDAwLCIwMUpEUTdaOEszTTRONVA2UTdSOFM5VDBWVyJd';

const operation = (op: ZodOpenApiOperationObject & { responses: ZodOpenApiResponsesObject }) => op;

export const paths: ZodOpenApiPathsObject = {
  '/health': {
    get: operation({
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Liveness of the API and its Redis',
      responses: {
        200: { description: 'Healthy', content: json(s.healthResponse, { ok: { status: 'ok' } }) },
        ...errors({
          503: {
            description: 'A dependency is unreachable',
            codes: ['dependency_unavailable'],
            examples: {
              redis: {
                status: 'unavailable',
                error: { code: 'dependency_unavailable', message: 'unreachable: redis', failing: ['redis'] },
              },
            },
          },
        }),
      },
    }),
  },
  '/auctions': {
    get: operation({
      operationId: 'listAuctions',
      tags: ['auctions', 'browse'],
      summary: 'Auctions by status, from the PostgreSQL read model (normally within 2 s of a change)',
      requestParams: { query: s.listAuctionsQuery },
      responses: {
        200: {
          description: 'A page of auctions',
          content: json(s.auctionPageResponse, { page: { auctions: [example.auction], next } }),
        },
        ...errors({ 400: invalid, 503: unavailable('read_model_unavailable') }),
      },
    }),
    post: operation({
      operationId: 'createAuction',
      tags: ['auctions'],
      summary: 'Create an auction (admin); the token sub becomes sellerId',
      security: bearer,
      requestBody: {
        required: true,
        content: json(s.createAuctionBody, {
          auction: {
            title: 'Vintage guitar',
            startingPrice: 10_000,
            minIncrement: 500,
            reservePrice: 20_000,
            endsAt: '2026-12-01T20:00:00.000Z',
            antiSnipe: { windowSeconds: 30, extendSeconds: 30, maxExtensions: 20 },
          },
          tiered: {
            title: 'Signed first edition',
            startingPrice: 99,
            incrementTable: [
              { from: 0, increment: 5 },
              { from: 100, increment: 25 },
              { from: 500, increment: 50 },
              { from: 2_500, increment: 100 },
            ],
            buyNowPrice: 25_000,
            endsAt: '2026-12-01T20:00:00.000Z',
          },
        }),
      },
      responses: {
        201: {
          description: 'Created',
          content: json(s.auctionResponse, { created: { auction: example.auction } }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          403: forbidden,
          409: { description: 'The id is taken', codes: ['auction_exists'] },
          413: tooLarge,
          415: mediaType,
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
  },
  '/auctions/{id}': {
    get: operation({
      operationId: 'getAuction',
      tags: ['auctions'],
      summary: 'One auction; status follows the server clock at the read',
      requestParams: { path: s.idPath },
      responses: {
        200: {
          description: 'The auction',
          content: json(s.auctionResponse, { open: { auction: example.auction } }),
        },
        ...errors({
          400: invalid,
          404: { description: 'No such auction', codes: ['auction_not_found'] },
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
  },
  '/auctions/{id}/bids': {
    post: operation({
      operationId: 'placeBid',
      tags: ['auctions'],
      summary: 'Bid (user); decided atomically with the auction state on the Redis clock',
      security: bearer,
      requestParams: { path: s.idPath, header: s.idempotencyKeyHeader },
      requestBody: { required: true, content: json(s.placeBidBody, { bid: { amount: 12_000 } }) },
      responses: {
        201: {
          description: 'Accepted',
          content: json(s.placeBidResponse, { accepted: { bid: example.bid, auction: example.auction } }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          403: { description: 'The seller cannot bid', codes: ['seller_cannot_bid'] },
          404: { description: 'No such auction', codes: ['auction_not_found'] },
          409: {
            description: 'Refused by the auction rules',
            codes: ['auction_not_open', 'auction_closed', 'bid_too_low', 'already_leading'],
            examples: {
              bid_too_low: {
                error: { code: 'bid_too_low', message: 'the minimum bid is 12500', minimumBid: 12_500 },
              },
              auction_closed: { error: { code: 'auction_closed', message: 'the auction has ended' } },
            },
          },
          413: tooLarge,
          415: mediaType,
          422: reused,
          429: rateLimited,
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
    get: operation({
      operationId: 'listBids',
      tags: ['auctions'],
      summary: 'Newest bids first',
      requestParams: { path: s.idPath, query: s.bidsQuery },
      responses: {
        200: { description: 'Bids', content: json(s.bidListResponse, { bids: { bids: [example.bid] } }) },
        ...errors({
          400: invalid,
          404: { description: 'No such auction', codes: ['auction_not_found'] },
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
  },
  '/auctions/{id}/events': {
    get: operation({
      operationId: 'listAuctionEvents',
      tags: ['auctions'],
      summary:
        'Every state change with seq > since, oldest first, at most 500 per page; reads are limited per caller (the user with a token, else the source address)',
      requestParams: { path: s.idPath, query: s.eventsQuery },
      responses: {
        200: {
          description: 'Events',
          content: json(s.auctionEventsResponse, {
            events: {
              events: [
                {
                  seq: 4,
                  type: 'bid.accepted',
                  occurredAt: example.bid.placedAt,
                  auction: example.auction,
                  bid: example.bid,
                },
              ],
              next: null,
            },
          }),
        },
        ...errors({
          400: invalid,
          401: {
            description: 'An invalid bearer token (none: counted by source address)',
            codes: ['unauthorized'],
          },
          404: { description: 'No such auction', codes: ['auction_not_found'] },
          429: rateLimited,
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
  },
  '/auctions/{id}/buy-now': {
    post: operation({
      operationId: 'buyNow',
      tags: ['auctions'],
      summary:
        'Buy It Now (user, API.md v1.2): closes the auction at once for this user at buyNowPrice; decided atomically with bids',
      security: bearer,
      requestParams: { path: s.idPath, header: s.idempotencyKeyHeader },
      responses: {
        201: {
          description: 'Bought: the auction is closed, closedBy "buy_now", the buyer its winner',
          content: json(s.auctionResponse, {
            bought: {
              auction: {
                ...example.auction,
                status: 'closed',
                leaderId: 'carol',
                currentPrice: 25_000,
                winnerId: 'carol',
                finalPrice: 25_000,
                buyNowPrice: 25_000,
                closedBy: 'buy_now',
                seq: 5,
              },
            },
          }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          403: { description: 'The seller cannot buy', codes: ['seller_cannot_bid'] },
          404: { description: 'No such auction', codes: ['auction_not_found'] },
          409: {
            description: 'Refused by the auction rules',
            codes: ['buy_now_unavailable', 'auction_closed', 'auction_not_open'],
          },
          422: reused,
          429: rateLimited,
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
  },
  '/auctions/{id}/end': {
    post: operation({
      operationId: 'endAuction',
      tags: ['auctions'],
      summary: 'End the auction now (admin, its seller): the winner as at endsAt, closedBy "seller"',
      security: bearer,
      requestParams: { path: s.idPath },
      responses: {
        200: {
          description: 'Closed',
          content: json(s.auctionResponse, {
            ended: { auction: { ...example.auction, status: 'closed', closedBy: 'seller', seq: 5 } },
          }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          403: { description: 'Not an admin, or not the seller of this auction', codes: ['forbidden'] },
          404: { description: 'No such auction', codes: ['auction_not_found'] },
          409: { description: 'Closed already', codes: ['auction_closed'] },
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
  },
  '/auctions/{id}/cancel': {
    post: operation({
      operationId: 'cancelAuction',
      tags: ['auctions'],
      summary: 'Cancel the auction (admin, its seller): closed, cancelled, no winner',
      security: bearer,
      requestParams: { path: s.idPath },
      requestBody: {
        required: true,
        content: json(s.cancelAuctionBody, { cancel: { reason: 'The item was damaged in storage' } }),
      },
      responses: {
        200: {
          description: 'Cancelled',
          content: json(s.auctionResponse, {
            cancelled: {
              auction: { ...example.auction, status: 'closed', cancelled: true, closedBy: 'seller', seq: 5 },
            },
          }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          403: { description: 'Not an admin, or not the seller of this auction', codes: ['forbidden'] },
          404: { description: 'No such auction', codes: ['auction_not_found'] },
          409: { description: 'Closed already', codes: ['auction_closed'] },
          413: tooLarge,
          415: mediaType,
          503: unavailable('auction_unavailable'),
        }),
      },
    }),
  },
  '/products': {
    get: operation({
      operationId: 'listProducts',
      tags: ['flash sales', 'browse'],
      summary: 'Flash sales, active or not, from the PostgreSQL read model; latest started first',
      requestParams: { query: s.listProductsQuery },
      responses: {
        200: {
          description: 'A page of products',
          content: json(s.productPageResponse, { page: { products: [example.product], next: null } }),
        },
        ...errors({ 400: invalid, 503: unavailable('read_model_unavailable') }),
      },
    }),
    post: operation({
      operationId: 'createProduct',
      tags: ['flash sales'],
      summary: 'Create a flash-sale product (admin)',
      security: bearer,
      requestBody: {
        required: true,
        content: json(s.createProductBody, {
          product: {
            id: 'sneaker-drop',
            name: 'Limited sneaker',
            price: 15_000,
            stock: 100,
            perUserLimit: 2,
          },
        }),
      },
      responses: {
        201: {
          description: 'Created',
          content: json(s.productResponse, { created: { product: example.product } }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          403: forbidden,
          409: { description: 'The id is taken', codes: ['product_exists'] },
          413: tooLarge,
          415: mediaType,
          503: unavailable('product_unavailable'),
        }),
      },
    }),
  },
  '/products/{id}': {
    get: operation({
      operationId: 'getProduct',
      tags: ['flash sales'],
      summary: 'One product',
      requestParams: { path: s.idPath },
      responses: {
        200: {
          description: 'The product',
          content: json(s.productResponse, { product: { product: example.product } }),
        },
        ...errors({
          400: invalid,
          404: { description: 'No such product', codes: ['product_not_found'] },
          503: unavailable('product_unavailable'),
        }),
      },
    }),
  },
  '/orders': {
    post: operation({
      operationId: 'reserveOrder',
      tags: ['flash sales'],
      summary: 'Reserve units (user); stock is taken atomically and never goes below zero',
      security: bearer,
      requestParams: { header: s.idempotencyKeyHeader },
      requestBody: {
        required: true,
        content: json(s.reserveOrderBody, { one: { productId: 'sneaker-drop', qty: 1 } }),
      },
      responses: {
        201: {
          description: 'Reserved',
          content: json(s.orderResponse, { reserved: { order: example.order } }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          404: { description: 'No such product', codes: ['product_not_found'] },
          409: {
            description: 'Refused by the sale rules',
            codes: ['sale_not_active', 'sold_out', 'limit_exceeded'],
            examples: {
              sold_out: { error: { code: 'sold_out', message: 'only 0 left', available: 0 } },
              limit_exceeded: {
                error: { code: 'limit_exceeded', message: 'at most 2 per user', limit: 2, purchased: 2 },
              },
            },
          },
          413: tooLarge,
          415: mediaType,
          422: reused,
          429: rateLimited,
          503: unavailable('product_unavailable'),
        }),
      },
    }),
  },
  '/orders/{id}': {
    get: operation({
      operationId: 'getOrder',
      tags: ['flash sales'],
      summary: "One order (its owner or an admin; anyone else's is not found)",
      security: bearer,
      requestParams: { path: s.idPath },
      responses: {
        200: {
          description: 'The order',
          content: json(s.orderResponse, { order: { order: example.order } }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          404: { description: 'No such order of this user', codes: ['order_not_found'] },
          503: unavailable('product_unavailable'),
        }),
      },
    }),
  },
  '/orders/{id}/cancel': {
    post: operation({
      operationId: 'cancelOrder',
      tags: ['flash sales'],
      summary: 'Cancel a reserved order (owner); its stock returns',
      security: bearer,
      requestParams: { path: s.idPath },
      responses: {
        200: {
          description: 'Cancelled',
          content: json(s.orderResponse, { cancelled: { order: { ...example.order, status: 'cancelled' } } }),
        },
        ...errors({
          400: invalid,
          401: unauthorized,
          404: { description: 'No such order of this user', codes: ['order_not_found'] },
          409: {
            description: 'Paid, expired or already cancelled',
            codes: ['order_not_cancellable'],
            examples: {
              paid: {
                error: { code: 'order_not_cancellable', message: 'the order is paid', status: 'paid' },
              },
            },
          },
          503: unavailable('product_unavailable'),
        }),
      },
    }),
  },
  '/payments/webhook': {
    post: operation({
      operationId: 'receivePayment',
      tags: ['flash sales'],
      summary: 'Payment provider events, signed with X-Webhook-Signature (no JWT)',
      security: [{ webhookSignature: [] }],
      requestParams: { header: s.webhookSignatureHeader },
      requestBody: {
        required: true,
        content: json(s.webhookBody, {
          succeeded: { id: 'evt_1', type: 'payment.succeeded', orderId: example.order.id, amount: 15_000 },
        }),
      },
      responses: {
        200: {
          description: 'Received',
          content: json(s.webhookResponse, { applied: { received: true, status: 'applied' } }),
        },
        ...errors({
          400: invalid,
          401: { description: 'Bad signature, or |now - t| > 300 s', codes: ['invalid_signature'] },
          413: tooLarge,
          503: unavailable('product_unavailable'),
        }),
      },
    }),
  },
  '/me/orders': {
    get: operation({
      operationId: 'listMyOrders',
      tags: ['browse'],
      summary: "The caller's orders, newest first, from the PostgreSQL read model",
      security: bearer,
      requestParams: { query: s.pageQuery },
      responses: {
        200: {
          description: 'A page of orders',
          content: json(s.myOrderPageResponse, {
            page: { orders: [{ ...example.order, seq: 60 }], next: null },
          }),
        },
        ...errors({ 400: invalid, 401: unauthorized, 503: unavailable('read_model_unavailable') }),
      },
    }),
  },
  '/me/bids': {
    get: operation({
      operationId: 'listMyBids',
      tags: ['browse'],
      summary: "The caller's bids, newest first, with whether the caller leads now",
      security: bearer,
      requestParams: { query: s.pageQuery },
      responses: {
        200: {
          description: 'A page of bids',
          content: json(s.myBidPageResponse, {
            page: { bids: [{ ...example.bid, leading: true }], next: null },
          }),
        },
        ...errors({ 400: invalid, 401: unauthorized, 503: unavailable('read_model_unavailable') }),
      },
    }),
  },
  '/me/notifications': {
    get: operation({
      operationId: 'listMyNotifications',
      tags: ['browse'],
      summary:
        "The caller's notifications after `since`, oldest first (API.md v1.2): complete, kept 30 days; pushes on the WebSocket topic `me` may be lost, this never loses one",
      security: bearer,
      requestParams: { query: s.notificationsQuery },
      responses: {
        200: {
          description: 'A page of notifications',
          content: json(s.notificationPageResponse, {
            page: {
              notifications: [
                {
                  seq: 7,
                  kind: 'outbid',
                  at: '2026-12-07T10:00:00.000Z',
                  auctionId: example.bid.auctionId,
                  amount: 12_300,
                  title: 'Vintage camera',
                },
              ],
              next: null,
            },
          }),
        },
        ...errors({ 400: invalid, 401: unauthorized, 503: unavailable('read_model_unavailable') }),
      },
    }),
  },
  '/realtime': {
    get: operation({
      operationId: 'getRealtime',
      tags: ['meta'],
      summary: 'Where to watch live: the WebSocket API, and the broadcast channels for crowds (API.md v1.2)',
      responses: {
        200: {
          description: 'The endpoints (the same for everyone; cacheable)',
          content: json(s.realtimeResponse, {
            broadcast: {
              websocketUrl: 'wss://ws.example.com/prod',
              broadcast: {
                realtimeUrl: 'wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/event/realtime',
                authorization: {
                  host: 'abc.appsync-api.eu-west-1.amazonaws.com',
                  'x-api-key': 'da2-example',
                },
                channels: { auction: '/live/auction/{id}', product: '/live/product/{id}' },
              },
            },
            direct: { websocketUrl: 'wss://ws.example.com/prod', broadcast: null },
          }),
        },
        ...errors({
          404: {
            description: 'This deployment serves no WebSocket API',
            codes: ['realtime_not_configured'],
          },
        }),
      },
    }),
  },
  '/openapi.json': {
    get: operation({
      operationId: 'getOpenApiDocument',
      tags: ['meta'],
      summary: 'This document',
      responses: {
        200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    }),
  },
  '/docs': {
    get: operation({
      operationId: 'getApiReference',
      tags: ['meta'],
      summary: 'Interactive reference of this document (works offline: its assets are served here)',
      responses: {
        200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    }),
  },
};

export function createOpenApiDocument(options: { version?: string; serverUrl?: string } = {}) {
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'live-sale API',
        version: options.version ?? '1.1.0',
        description:
          'Live auctions and flash sales (API.md v1.2). JSON in and out; money in integer minor units; times ISO-8601 UTC. ' +
          'Every error is {"error": {"code", "message", ...details}}. Real time: the WebSocket API (not described here).',
      },
      ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
      tags: [
        { name: 'auctions' },
        { name: 'flash sales' },
        { name: 'browse', description: 'Listings from the PostgreSQL read model' },
        { name: 'health' },
        { name: 'meta' },
      ],
      paths,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'JWT from the identity provider (RS256/ES256, verified against the JWKS of JWT_ISSUER, aud = JWT_AUDIENCE) or, where the stage keeps it, HS256 signed with JWT_SECRET; sub = user id; admin routes need JWT_ADMIN_CLAIM to hold JWT_ADMIN_VALUE (default role = "admin"); 503 signing_keys_unavailable while the issuer\'s keys cannot be fetched',
          },
          webhookSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Webhook-Signature',
            description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with WEBHOOK_SECRET>',
          },
        },
      },
    },
    {
      // Responses gain fields over time (API.md: add, never rename): a client must accept them.
      override: ({ jsonSchema, io }) => {
        if (io === 'output' && jsonSchema.additionalProperties === false)
          delete jsonSchema.additionalProperties;
      },
    },
  );
}

export type OpenApiDocument = ReturnType<typeof createOpenApiDocument>;
