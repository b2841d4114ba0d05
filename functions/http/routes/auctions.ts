import { Hono } from 'hono';
import { z } from 'zod';
import type { AuctionDeps } from '../../use-cases/auction-use-cases.js';
import { type BrowseDeps, listAuctions } from '../../use-cases/browse.js';
import { createAuction } from '../../use-cases/create-auction.js';
import { placeBid } from '../../use-cases/place-bid.js';
import { getAuction, listAuctionEvents, listBids } from '../../use-cases/read-auctions.js';
import { type AuthEnv, requireAdmin, requireUser } from '../auth.js';
import {
  idempotencyOf,
  idSchema,
  isoTimeSchema,
  moneySchema,
  pageQueryShape,
  parseJsonBody,
  parsePathId,
  parseWith,
  singleQuery,
  textSchema,
} from '../validation.js';

const seconds = (max: number) => z.number().int().min(1).max(max);

const createAuctionBody = z
  .object({
    id: idSchema.optional(),
    title: textSchema(200),
    startingPrice: moneySchema,
    minIncrement: moneySchema,
    reservePrice: moneySchema.nullable().optional(),
    startsAt: isoTimeSchema.optional(),
    endsAt: isoTimeSchema,
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
    // minimumNextBid starts at startingPrice + minIncrement after the first bid: a safe integer.
    if (body.startingPrice + body.minIncrement > Number.MAX_SAFE_INTEGER) {
      context.addIssue({
        code: 'custom',
        path: ['minIncrement'],
        message: 'startingPrice + minIncrement must be at most 9007199254740991',
      });
    }
  });

const placeBidBody = z.object({ amount: moneySchema }).strict();

const bidsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const eventsQuery = z.object({
  since: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
});

const listAuctionsQuery = z.object({
  status: z.enum(['open', 'scheduled', 'closed']).default('open'),
  ...pageQueryShape,
});

export function auctionRoutes(deps: AuctionDeps, jwtSecret: string, browse: BrowseDeps) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const { status, limit, cursor } = parseWith(
        listAuctionsQuery,
        singleQuery(c.req.queries(), ['status', 'limit', 'cursor']),
      );
      return c.json(await listAuctions(browse, status, { limit, cursor }));
    })
    .post('/', requireAdmin(jwtSecret), async (c) => {
      const body = await parseJsonBody(c, createAuctionBody);
      const auction = await createAuction(deps, {
        id: body.id,
        title: body.title,
        sellerId: c.var.user.id,
        startingPrice: body.startingPrice,
        minIncrement: body.minIncrement,
        reservePrice: body.reservePrice ?? null,
        startsAt: body.startsAt ?? null,
        endsAt: body.endsAt,
        antiSnipe: body.antiSnipe ?? null,
      });
      return c.json({ auction }, 201);
    })
    .get('/:id', async (c) => {
      return c.json({ auction: await getAuction(deps, parsePathId(c, 'id')) });
    })
    .post('/:id/bids', requireUser(jwtSecret), async (c) => {
      const auctionId = parsePathId(c, 'id');
      const body = await parseJsonBody(c, placeBidBody);
      const result = await placeBid(deps, {
        auctionId,
        bidderId: c.var.user.id,
        amount: body.amount,
        idempotency: idempotencyOf(c, body),
      });
      return c.json(result, 201);
    })
    .get('/:id/bids', async (c) => {
      const auctionId = parsePathId(c, 'id');
      const { limit } = parseWith(bidsQuery, singleQuery(c.req.queries(), ['limit']));
      return c.json({ bids: await listBids(deps, auctionId, limit) });
    })
    .get('/:id/events', async (c) => {
      const auctionId = parsePathId(c, 'id');
      const { since } = parseWith(eventsQuery, singleQuery(c.req.queries(), ['since']));
      return c.json(await listAuctionEvents(deps, auctionId, since));
    });
}
