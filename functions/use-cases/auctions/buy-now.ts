import { type AuctionView, toAuctionView } from '../../domain/auction.js';
import {
  ConflictError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  RateLimitedError,
} from '../../domain/errors.js';
import { publishEvents } from '../shared/publish-events.js';
import { underUserRules } from '../shared/user-requests.js';
import type { AuctionDeps } from './auction-use-cases.js';
import { awaitAuctionForWrite } from './recover-auction.js';

export interface BuyNowInput {
  auctionId: string;
  buyerId: string;
  idempotency: { key: string; fingerprint: string } | null;
}

const refusalMessages = {
  auction_not_open: 'the auction has not started yet',
  auction_closed: 'the auction has ended',
  buy_now_unavailable: 'Buy It Now is not available on this auction (none, or bids have been placed)',
} as const;

/**
 * Buy It Now (API.md v1.2): the auction's script decides it on the auction's slot, atomically with
 * its bids, and closes the auction for the buyer; the close is published like the sweeper's (persist
 * + fan-out). Idempotency-Key, the user-wide rules and the recovery of a lost auction work as for a
 * bid (place-bid.ts).
 */
export function buyNow(deps: AuctionDeps, input: BuyNowInput): Promise<AuctionView> {
  return underUserRules(deps.claims, input.buyerId, input.idempotency, (admitMiss) =>
    decideBuyNow(deps, input, admitMiss, false),
  );
}

async function decideBuyNow(
  deps: AuctionDeps,
  input: BuyNowInput,
  admitMiss: () => Promise<void>,
  afterRecovery: boolean,
): Promise<AuctionView> {
  const outcome = await deps.auctions.buyNow({ ...input, requestId: deps.newId() });
  if (outcome.ok) {
    if (!outcome.replayed) await publishEvents({ ...deps, outbox: deps.auctions }, [outcome.event]);
    return toAuctionView(outcome.state, outcome.now);
  }
  switch (outcome.code) {
    case 'auction_not_found':
      await awaitAuctionForWrite(deps.recovery, input.auctionId, admitMiss, afterRecovery);
      return decideBuyNow(deps, input, admitMiss, true);
    case 'idempotency_key_reused':
      throw new IdempotencyKeyReusedError();
    case 'rate_limited':
      throw new RateLimitedError(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)));
    case 'seller_cannot_bid':
      throw new ForbiddenError('the seller cannot buy their own auction', 'seller_cannot_bid');
    default:
      throw new ConflictError(outcome.code, refusalMessages[outcome.code]);
  }
}
