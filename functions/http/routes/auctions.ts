import { Hono } from 'hono';
import {
  bidsQuery,
  cancelAuctionBody,
  createAuctionBody,
  eventsQuery,
  listAuctionsQuery,
  placeBidBody,
} from '../../api/schemas.js';
import { type AuthEnv, requireAdmin, requireUser, type TokenVerifier } from '../../auth/auth.js';
import { RateLimitedError } from '../../domain/errors.js';
import type { ReadLimiter } from '../../ports/read-limiter.js';
import type { AuctionDeps } from '../../use-cases/auctions/auction-use-cases.js';
import { buyNow } from '../../use-cases/auctions/buy-now.js';
import { createAuction } from '../../use-cases/auctions/create-auction.js';
import { placeBid } from '../../use-cases/auctions/place-bid.js';
import { getAuction, listAuctionEvents, listBids } from '../../use-cases/auctions/read-auctions.js';
import { sellerClose } from '../../use-cases/auctions/seller-close.js';
import { type BrowseDeps, listAuctions } from '../../use-cases/shared/browse.js';
import { sourceIpOf } from '../source-ip.js';
import { idempotencyOf, parseJsonBody, parsePathId, parseWith, singleQuery } from '../validation.js';

export function auctionRoutes(
  deps: AuctionDeps,
  verifier: TokenVerifier,
  browse: BrowseDeps,
  eventReads?: ReadLimiter,
) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const { status, limit, cursor } = parseWith(
        listAuctionsQuery,
        singleQuery(c.req.queries(), ['status', 'limit', 'cursor']),
      );
      return c.json(await listAuctions(browse, status, { limit, cursor }));
    })
    .post('/', requireAdmin(verifier), async (c) => {
      const body = await parseJsonBody(c, createAuctionBody);
      const auction = await createAuction(deps, {
        id: body.id,
        title: body.title,
        sellerId: c.var.user.id,
        startingPrice: body.startingPrice,
        minIncrement: body.minIncrement,
        incrementTable: body.incrementTable ?? null,
        reservePrice: body.reservePrice ?? null,
        buyNowPrice: body.buyNowPrice ?? null,
        startsAt: body.startsAt ?? null,
        endsAt: body.endsAt,
        antiSnipe: body.antiSnipe ?? null,
      });
      return c.json({ auction }, 201);
    })
    .get('/:id', async (c) => {
      return c.json({ auction: await getAuction(deps, parsePathId(c, 'id')) });
    })
    .post('/:id/bids', requireUser(verifier), async (c) => {
      const auctionId = parsePathId(c, 'id');
      const body = await parseJsonBody(c, placeBidBody);
      const result = await placeBid(deps, {
        auctionId,
        bidderId: c.var.user.id,
        amount: body.amount,
        maxAmount: body.maxAmount ?? null,
        idempotency: idempotencyOf(c, body),
      });
      return c.json(result, 201);
    })
    .post('/:id/buy-now', requireUser(verifier), async (c) => {
      // No body (API.md v1.2): whatever comes is ignored; the key's fingerprint is method + path.
      const auctionId = parsePathId(c, 'id');
      const auction = await buyNow(deps, {
        auctionId,
        buyerId: c.var.user.id,
        idempotency: idempotencyOf(c, {}),
      });
      return c.json({ auction }, 201);
    })
    .post('/:id/end', requireAdmin(verifier), async (c) => {
      const auctionId = parsePathId(c, 'id');
      const auction = await sellerClose(deps, { auctionId, sellerId: c.var.user.id, action: 'end' });
      return c.json({ auction }, 200);
    })
    .post('/:id/cancel', requireAdmin(verifier), async (c) => {
      const auctionId = parsePathId(c, 'id');
      const { reason } = await parseJsonBody(c, cancelAuctionBody);
      const auction = await sellerClose(deps, {
        auctionId,
        sellerId: c.var.user.id,
        action: 'cancel',
        reason,
      });
      return c.json({ auction }, 200);
    })
    .get('/:id/bids', async (c) => {
      const auctionId = parsePathId(c, 'id');
      const { limit } = parseWith(bidsQuery, singleQuery(c.req.queries(), ['limit']));
      return c.json({ bids: await listBids(deps, auctionId, limit) });
    })
    .get('/:id/events', async (c) => {
      const auctionId = parsePathId(c, 'id');
      const { since } = parseWith(eventsQuery, singleQuery(c.req.queries(), ['since']));
      if (eventReads) {
        // Up to 500 events from the auction's shard per call: counted first, on the caller's own
        // slot (the user when signed in, a bad token being a 401; else the source address).
        // An in-process call has no address: not counted, rather than all such callers sharing one.
        const authorization = c.req.header('authorization');
        const sourceIp = sourceIpOf(c);
        const caller = authorization
          ? { kind: 'user' as const, id: (await verifier.authenticate(authorization)).id }
          : sourceIp !== undefined
            ? { kind: 'ip' as const, id: sourceIp }
            : undefined;
        const waitMs = caller ? await eventReads.admit(caller) : 0;
        if (waitMs > 0) throw new RateLimitedError(Math.max(1, Math.ceil(waitMs / 1000)));
      }
      return c.json(await listAuctionEvents(deps, auctionId, since));
    });
}
