/**
 * The HTTP API's schemas (API.md v1.1): the request schemas the routes validate with, and the
 * response schemas of what they answer. The OpenAPI document (./openapi.ts) is generated from these
 * very objects, so it cannot drift from the validation.
 *
 * Imports zod and pure domain constants only: a browser-side client can import this module (and
 * its types) without pulling Node-only code.
 */
import { z } from 'zod';
import { MAX_CURSOR_LENGTH } from '../domain/cursor.js';
import { incrementTableProblem, largestIncrement, MAX_INCREMENT_ROWS } from '../domain/increments.js';
import { DEFAULT_PER_USER_LIMIT } from '../domain/product.js';

// --- primitives -------------------------------------------------------------------------------

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must match ^[A-Za-z0-9_-]{1,64}$')
  .meta({ examples: ['01JDQ7Z8K3M4N5P6Q7R8S9T0VW'] });

/** Money: integer minor units, > 0, a safe integer. */
export const moneySchema = z
  .number()
  .int('must be an integer (minor units)')
  .positive()
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: 'Integer amount in minor units (cents)', examples: [1500] });

/**
 * Characters no text field accepts: C0 controls (U+0000-U+001F: NUL, tab, newline...), DEL and the
 * C1 controls (U+007F-U+009F), i.e. Unicode category Cc. A NUL makes PostgreSQL refuse the jsonb of
 * every event of the entity (SQLSTATE 22P05), and titles and names are single-line labels.
 */
export const CONTROL_CHARACTER = /\p{Cc}/u;
/** A UTF-16 surrogate not paired: no UTF-8 form, refused by Redis' cjson and by PostgreSQL. */
export const LONE_SURROGATE = /\p{Cs}/u;

export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (no lone surrogates)';
export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (U+0000-U+001F, U+007F-U+009F)';

/** A free-text field (title, name): trimmed, 1..max characters, no control characters. */
export const textSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .refine((value) => !LONE_SURROGATE.test(value), WELL_FORMED_MESSAGE)
    .refine((value) => !CONTROL_CHARACTER.test(value), CONTROL_CHARACTER_MESSAGE)
    .meta({ description: `1-${max} characters after trimming, no control characters` });

/** A request time: ISO-8601 with an offset, read as epoch ms. */
export const isoTimeSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
  .transform((value) => Date.parse(value));

/** A response time: ISO-8601 UTC. */
const timestamp = z.iso.datetime().meta({ examples: ['2026-12-01T18:00:00.000Z'] });
const userId = z.string().meta({ description: 'The `sub` of the user token', examples: ['alice'] });

export const MAX_STOCK = 1_000_000_000;
export const MAX_PER_USER_LIMIT = 1_000_000;
export const MAX_RESERVATION_TTL_SECONDS = 24 * 60 * 60;
export const MAX_PAGE_LIMIT = 100;

// --- parameters -------------------------------------------------------------------------------

export const idPath = z.object({
  id: idSchema.meta({ description: 'Entity id, `^[A-Za-z0-9_-]{1,64}$`' }),
});

export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable characters')
    .optional()
    .meta({
      description:
        'Same key from the same user within 24 h: the first answer again, no second effect; with another body: 422',
      examples: ['bid-7f3c2a'],
    }),
});

export const webhookSignatureHeader = z.object({
  'x-webhook-signature': z.string().meta({
    description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with WEBHOOK_SECRET>`',
    examples: ['t=1764612000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd'],
  }),
});

/** `limit` and `cursor` of every keyset-paged listing (limit 1..100, default 20). */
export const pageQueryShape = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(20)
    .meta({ description: 'Items per page, 1..100' }),
  /** Opaque: decoded (and refused with 400) by the listing it belongs to. */
  cursor: z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .optional()
    .meta({ description: 'The `next` of the previous page of the same listing (opaque)' }),
};
export const pageQuery = z.object(pageQueryShape);

export const listAuctionsQuery = z.object({
  status: z
    .enum(['open', 'scheduled', 'closed'])
    .default('open')
    .meta({ description: 'open and scheduled: ending soonest first; closed: most recently ended first' }),
  ...pageQueryShape,
});

export const listProductsQuery = z.object({
  active: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true')
    .meta({ description: 'true: the sale window contains now; false: not started or ended' }),
  ...pageQueryShape,
});

export const bidsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Newest bids, 1..100' }),
});

export const eventsQuery = z.object({
  since: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(0)
    .meta({ description: 'Events with a greater seq, oldest first' }),
});

/** GET /me/notifications (API.md v1.2): after `since`, oldest first, 1..100 (default 20). */
export const notificationsQuery = z.object({
  since: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(0)
    .meta({ description: 'Notifications with a greater seq, oldest first' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(20)
    .meta({ description: 'Notifications per page, 1..100' }),
});

// --- request bodies ---------------------------------------------------------------------------

const seconds = (max: number) => z.number().int().min(1).max(max);

/** One row of an increment table (API.md v1.2): from this price on, this increment. */
const incrementRowSchema = z
  .object({
    from: z
      .number()
      .int('must be an integer (minor units)')
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .meta({ description: 'The price (minor units) from which the increment applies; the first row 0' }),
    increment: moneySchema,
  })
  .strict()
  .meta({ id: 'IncrementRow' });

export const incrementTableSchema = z
  .array(incrementRowSchema)
  .min(1, 'needs at least one row')
  .max(MAX_INCREMENT_ROWS, `at most ${MAX_INCREMENT_ROWS} rows`)
  .meta({
    description:
      'Tiered increments: `from` strictly ascending, the first 0; the increment in force is the row with the largest `from` <= the price',
    examples: [
      [
        { from: 0, increment: 5 },
        { from: 100, increment: 25 },
        { from: 500, increment: 50 },
      ],
    ],
  });

export const createAuctionBody = z
  .object({
    id: idSchema.optional(),
    title: textSchema(200),
    startingPrice: moneySchema,
    minIncrement: moneySchema.optional().meta({ description: 'Required unless incrementTable is given' }),
    incrementTable: incrementTableSchema
      .optional()
      .meta({ description: 'Instead of minIncrement (API.md v1.2)' }),
    reservePrice: moneySchema.nullable().optional(),
    buyNowPrice: moneySchema
      .nullable()
      .optional()
      .meta({ description: 'Buy It Now: > startingPrice, >= reservePrice when given (API.md v1.2)' }),
    startsAt: isoTimeSchema.optional().meta({ description: 'Default: now' }),
    endsAt: isoTimeSchema.meta({ description: 'After startsAt, in the future, at most 30 days away' }),
    antiSnipe: z
      .object({
        windowSeconds: seconds(86_400),
        extendSeconds: seconds(86_400),
        maxExtensions: z.number().int().min(0).max(10_000),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((body, context) => {
    const issue = (path: (string | number)[], message: string) =>
      context.addIssue({ code: 'custom', path, message });
    if (body.minIncrement !== undefined && body.incrementTable !== undefined) {
      issue(['incrementTable'], 'give minIncrement or incrementTable, not both');
      return;
    }
    if (body.incrementTable !== undefined) {
      // Shape checks passed (zod); the order of the rows is the domain's rule.
      const problem = incrementTableProblem(body.incrementTable);
      if (problem !== null) {
        const [where, ...message] = problem.split(': ');
        issue(
          (where as string).split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
          message.join(': '),
        );
        return;
      }
    } else if (body.minIncrement === undefined) {
      issue(['minIncrement'], 'required (or give incrementTable)');
      return;
    }
    // minimumNextBid starts at startingPrice + its increment after the first bid: a safe integer.
    // With a table, the bid ceiling is MAX_SAFE_INTEGER - its largest increment (any tier may come
    // into force): a first bid at startingPrice must be under it.
    const bound = body.incrementTable ? largestIncrement(body.incrementTable) : (body.minIncrement as number);
    if (body.startingPrice + bound > Number.MAX_SAFE_INTEGER) {
      if (body.incrementTable)
        issue(
          ['incrementTable'],
          "startingPrice + the table's largest increment must be at most 9007199254740991",
        );
      else issue(['minIncrement'], 'startingPrice + minIncrement must be at most 9007199254740991');
    }
    if (body.buyNowPrice != null) {
      if (body.buyNowPrice <= body.startingPrice) issue(['buyNowPrice'], 'must be above startingPrice');
      else if (body.reservePrice != null && body.buyNowPrice < body.reservePrice)
        issue(['buyNowPrice'], 'must be at least reservePrice');
    }
  })
  .meta({ id: 'CreateAuction' });

/** POST /auctions/{id}/cancel (API.md v1.2): the seller's reason, for the bidders. */
export const cancelAuctionBody = z
  .object({ reason: textSchema(500) })
  .strict()
  .meta({ id: 'CancelAuction' });

export const placeBidBody = z
  .object({
    amount: moneySchema,
    maxAmount: moneySchema.optional().meta({
      description:
        'Proxy bidding: the most you would pay (>= amount), kept secret; the auction raises your bid for you, by minIncrement, up to it',
    }),
  })
  .strict()
  .refine((body) => body.maxAmount === undefined || body.maxAmount >= body.amount, {
    path: ['maxAmount'],
    message: 'must be at least amount',
  })
  .meta({ id: 'PlaceBid' });

export const createProductBody = z
  .object({
    id: idSchema.optional(),
    name: textSchema(200),
    price: moneySchema,
    stock: z.number().int('must be an integer').min(0).max(MAX_STOCK),
    perUserLimit: z.number().int('must be an integer').min(1).max(MAX_PER_USER_LIMIT).optional(),
    saleStartsAt: isoTimeSchema.optional().meta({ description: 'Default: now' }),
    saleEndsAt: isoTimeSchema.nullable().optional().meta({ description: 'null or absent: no end' }),
    reservationTtlSeconds: z
      .number()
      .int('must be an integer')
      .min(1)
      .max(MAX_RESERVATION_TTL_SECONDS)
      .optional(),
  })
  .strict()
  .superRefine((body, context) => {
    // Every order's amount (price * qty, qty <= perUserLimit) must stay an exact safe integer.
    if (body.price * (body.perUserLimit ?? DEFAULT_PER_USER_LIMIT) > Number.MAX_SAFE_INTEGER) {
      context.addIssue({
        code: 'custom',
        path: ['perUserLimit'],
        message: 'price * perUserLimit must be at most 9007199254740991',
      });
    }
  })
  .meta({ id: 'CreateProduct' });

export const reserveOrderBody = z
  .object({ productId: idSchema, qty: z.number().int('must be an integer').min(1).max(MAX_PER_USER_LIMIT) })
  .strict()
  .meta({ id: 'ReserveOrder' });

/** Providers add fields over time: unknown fields are ignored here (this is not a create route). */
export const webhookBody = z
  .object({
    id: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable characters'),
    type: z.enum(['payment.succeeded', 'payment.failed']),
    orderId: idSchema,
    amount: moneySchema,
  })
  .meta({ id: 'PaymentEvent' });

// --- responses --------------------------------------------------------------------------------

export const auctionSchema = z
  .object({
    id: idSchema,
    title: z.string(),
    sellerId: userId,
    status: z.enum(['scheduled', 'open', 'closed']).meta({ description: 'By the server clock at the read' }),
    startingPrice: moneySchema,
    minIncrement: moneySchema,
    currentPrice: moneySchema.nullable(),
    leaderId: userId.nullable(),
    bidCount: z.number().int().min(0),
    minimumNextBid: moneySchema.meta({
      description: 'startingPrice before the first bid, else currentPrice + minIncrement',
    }),
    startsAt: timestamp,
    endsAt: timestamp,
    extensions: z.number().int().min(0),
    reserveMet: z.boolean().meta({ description: 'The reserve price itself is never disclosed' }),
    seq: z.number().int().min(1).meta({ description: "Version of this auction's state; +1 on every change" }),
    winnerId: userId.nullable().meta({ description: 'Only when closed: leaderId if reserveMet, else null' }),
    finalPrice: moneySchema.nullable().meta({ description: 'Only when closed' }),
    buyNowPrice: moneySchema.nullable().meta({ description: 'Buy It Now price (API.md v1.2)' }),
    buyNowAvailable: z.boolean().meta({
      description:
        'Open, with a buyNowPrice, and no bid yet (no reserve) or the reserve not met yet; once false, stays false',
    }),
    incrementTable: z.array(incrementRowSchema).nullable().meta({
      description: 'Tiered increments, or null; minIncrement is the increment in force',
    }),
    cancelled: z.boolean().meta({ description: 'Cancelled by the seller: closed, no winner' }),
    closedBy: z
      .enum(['time', 'buy_now', 'seller'])
      .nullable()
      .meta({ description: 'How the auction closed; null while not closed' }),
  })
  .meta({ id: 'Auction' });

export const bidSchema = z
  .object({
    id: idSchema,
    auctionId: idSchema,
    bidderId: userId,
    amount: moneySchema,
    seq: z.number().int().min(1).meta({ description: 'The auction seq this bid made' }),
    placedAt: timestamp,
    proxy: z
      .literal(true)
      .optional()
      .meta({ description: 'Present (true) on a raise the proxy made for this bidder (proxy bidding)' }),
  })
  .meta({ id: 'Bid' });

export const auctionEventSchema = z
  .object({
    seq: z.number().int().min(1),
    type: z.string().meta({ examples: ['bid.accepted'] }),
    occurredAt: timestamp,
    /** The state right after this event, read at occurredAt. */
    auction: auctionSchema,
    bid: bidSchema.optional(),
  })
  .meta({ id: 'AuctionEvent' });

export const productSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    price: moneySchema,
    stock: z.number().int().min(0),
    available: z.number().int().min(0),
    perUserLimit: z.number().int().min(1),
    saleStartsAt: timestamp,
    saleEndsAt: timestamp.nullable(),
    reservationTtlSeconds: z.number().int().min(1),
    seq: z.number().int().min(1),
  })
  .meta({ id: 'Product' });

const orderShape = {
  id: idSchema,
  productId: idSchema,
  userId,
  qty: z.number().int().min(1),
  amount: moneySchema.meta({ description: 'price * qty' }),
  status: z
    .enum(['reserved', 'paid', 'cancelled', 'expired'])
    .meta({ description: 'A reservation reads expired from expiresAt on' }),
  createdAt: timestamp,
  expiresAt: timestamp,
  paidAt: timestamp.optional(),
  refundRequired: z.boolean().optional().meta({ description: 'Present (true) when a refund is owed' }),
};
export const orderSchema = z.object(orderShape).meta({ id: 'Order' });

export const myOrderSchema = z
  .object({
    ...orderShape,
    seq: z.number().int().min(1).meta({ description: "The product's seq at the order's last change" }),
  })
  .meta({ id: 'MyOrder' });

export const myBidSchema = z
  .object({
    ...bidSchema.shape,
    leading: z.boolean().meta({ description: "Whether the auction's leader is the caller now" }),
  })
  .meta({ id: 'MyBid' });

export const NOTIFICATION_KIND_VALUES = [
  'outbid',
  'auction.won',
  'auction.lost',
  'auction.sold',
  'auction.unsold',
  'auction.cancelled',
  'order.paid',
  'order.expired',
  'order.cancelled',
  'order.refund_required',
] as const;

export const notificationSchema = z
  .object({
    seq: z.number().int().min(1).meta({ description: 'Per user, strictly increasing and gap-free' }),
    kind: z.enum(NOTIFICATION_KIND_VALUES),
    at: z.string().meta({ description: 'When the event that caused it happened (ISO-8601 UTC)' }),
    auctionId: z.string().optional(),
    productId: z.string().optional(),
    orderId: z.string().optional(),
    amount: z.number().int().optional().meta({
      description:
        'outbid: the new price; auction.won / auction.sold: the final price; order.*: the order amount',
    }),
    title: z.string().optional().meta({ description: "The auction's title or the product's name" }),
  })
  .meta({ id: 'Notification' });

const next = z
  .string()
  .nullable()
  .meta({ description: 'Cursor of the next page, null on the last page (opaque)' });

export const auctionResponse = z.object({ auction: auctionSchema });
export const placeBidResponse = z.object({
  bid: bidSchema.extend({
    maxAmount: moneySchema.optional().meta({ description: 'Your maximum; only ever in your own 201' }),
  }),
  auction: auctionSchema,
  outbid: z.literal(true).optional().meta({
    description: "Present (true) when your bid was recorded but the leader's maximum kept the lead",
  }),
  maxRaised: z
    .literal(true)
    .optional()
    .meta({ description: 'Present (true) when you, the leader, raised your own maximum' }),
});
export const bidListResponse = z.object({ bids: z.array(bidSchema) });
export const auctionEventsResponse = z.object({
  events: z.array(auctionEventSchema),
  next: z.number().int().nullable().meta({ description: 'The since to continue from; null when up to date' }),
});
export const auctionPageResponse = z.object({ auctions: z.array(auctionSchema), next });
export const productResponse = z.object({ product: productSchema });
export const productPageResponse = z.object({ products: z.array(productSchema), next });
export const orderResponse = z.object({ order: orderSchema });
export const myOrderPageResponse = z.object({ orders: z.array(myOrderSchema), next });
export const myBidPageResponse = z.object({ bids: z.array(myBidSchema), next });
export const notificationPageResponse = z.object({
  notifications: z.array(notificationSchema),
  next: z.number().int().nullable().meta({ description: 'The since to continue from; null when up to date' }),
});
export const webhookResponse = z.object({
  received: z.literal(true),
  status: z.enum(['applied', 'duplicate', 'pending']),
});
export const healthResponse = z.object({ status: z.literal('ok') });

/** API.md v1.2, "Broadcast channels for crowds": where a topic's channel is read. */
export const broadcastInfoSchema = z
  .object({
    realtimeUrl: z
      .string()
      .meta({ description: 'The Events API real-time endpoint (wss://.../event/realtime)' }),
    authorization: z.record(z.string(), z.string()).meta({
      description: 'Sent as is in the header- subprotocol and in each subscribe, e.g. {host, x-api-key}',
    }),
    channels: z
      .object({ auction: z.string(), product: z.string() })
      .meta({ description: 'Channel path templates by topic kind; {id} is the topic id' }),
  })
  .meta({ id: 'BroadcastInfo' });
export const realtimeResponse = z.object({
  websocketUrl: z.string().meta({ description: 'The WebSocket API (subscribe, unsubscribe, ping)' }),
  broadcast: broadcastInfoSchema
    .nullable()
    .meta({ description: 'null: no broadcast channels here, every topic direct' }),
});

/** `{"error": {"code", "message", ...details}}`: details depend on the code (e.g. minimumBid). */
export const errorSchema = (codes: readonly [string, ...string[]]) =>
  z.object({
    error: z.looseObject({
      code: z.enum(codes),
      message: z.string(),
    }),
  });

export type Auction = z.infer<typeof auctionSchema>;
export type BroadcastInfo = z.infer<typeof broadcastInfoSchema>;
export type Bid = z.infer<typeof bidSchema>;
export type AuctionEvent = z.infer<typeof auctionEventSchema>;
export type Product = z.infer<typeof productSchema>;
export type Order = z.infer<typeof orderSchema>;
export type MyOrder = z.infer<typeof myOrderSchema>;
export type MyBid = z.infer<typeof myBidSchema>;
export type Notification = z.infer<typeof notificationSchema>;
export type NotificationPage = z.infer<typeof notificationPageResponse>;
export type CreateAuctionInput = z.input<typeof createAuctionBody>;
export type CreateProductInput = z.input<typeof createProductBody>;
export type PlaceBidInput = z.input<typeof placeBidBody>;
export type CancelAuctionInput = z.input<typeof cancelAuctionBody>;
export type IncrementRow = z.infer<typeof incrementRowSchema>;
export type ReserveOrderInput = z.input<typeof reserveOrderBody>;
export type PaymentEventInput = z.input<typeof webhookBody>;
