import { type AuctionView, type BidView, toAuctionView, toOwnBidView } from '../../domain/auction.js';
import {
  ConflictError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  RateLimitedError,
} from '../../domain/errors.js';
import { publishEvents } from '../shared/publish-events.js';
import { underUserRules } from '../shared/user-requests.js';
import type { AuctionDeps } from './auction-use-cases.js';
import { awaitAuctionForWrite } from './recover-auction.js';

export interface PlaceBidInput {
  auctionId: string;
  bidderId: string;
  amount: number;
  /** Proxy bidding (API.md v1.1): the secret maximum, >= amount. */
  maxAmount?: number | null;
  idempotency: { key: string; fingerprint: string } | null;
}

export interface PlaceBidResult {
  /** The request's own bid; `maxAmount` only here, for its bidder. */
  bid: BidView;
  auction: AuctionView;
  /** Present (true) when the bid was recorded but the leader's maximum kept the lead. */
  outbid?: true;
  /** Present (true) when the leader raised their own maximum. */
  maxRaised?: true;
}

const refusalMessages = {
  auction_not_open: 'the auction has not started yet',
  auction_closed: 'the auction has ended',
  already_leading: 'you are already the highest bidder',
} as const;

/**
 * One bid: the deciding script applies every rule atomically; this use case only translates its
 * decision. A replayed Idempotency-Key yields the stored decision, which renders to the same body.
 * The user-wide rate limit and key claim come first (see user-requests.ts).
 */
export function placeBid(deps: AuctionDeps, input: PlaceBidInput): Promise<PlaceBidResult> {
  return underUserRules(deps.claims, input.bidderId, input.idempotency, (admitMiss) =>
    decideBid(deps, input, admitMiss, false),
  );
}

async function decideBid(
  deps: AuctionDeps,
  input: PlaceBidInput,
  admitMiss: () => Promise<void>,
  afterRecovery: boolean,
): Promise<PlaceBidResult> {
  const outcome = await deps.auctions.placeBid({ ...input, bidId: deps.newId() });
  if (outcome.ok) {
    if (!outcome.replayed) await publishEvents({ ...deps, outbox: deps.auctions }, outcome.events);
    const result: PlaceBidResult = {
      bid: toOwnBidView(outcome.bid),
      auction: toAuctionView(outcome.state, outcome.now),
    };
    if (outcome.outbid) result.outbid = true;
    if (outcome.maxRaised) result.maxRaised = true;
    return result;
  }
  switch (outcome.code) {
    case 'auction_not_found':
      await awaitAuctionForWrite(deps.recovery, input.auctionId, admitMiss, afterRecovery);
      return decideBid(deps, input, admitMiss, true);
    case 'idempotency_key_reused':
      throw new IdempotencyKeyReusedError();
    case 'rate_limited':
      throw new RateLimitedError(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)));
    case 'seller_cannot_bid':
      throw new ForbiddenError('the seller cannot bid on their own auction', 'seller_cannot_bid');
    case 'above_ceiling':
      throw new InvalidRequestError(
        `${outcome.field}: at most ${outcome.maximumBid} on this auction (the next minimum bid must stay a safe integer)`,
        { field: outcome.field, maximumBid: outcome.maximumBid },
      );
    case 'bid_too_low':
      throw new ConflictError('bid_too_low', `the bid must be at least ${outcome.minimumBid}`, {
        minimumBid: outcome.minimumBid,
      });
    default:
      throw new ConflictError(outcome.code, refusalMessages[outcome.code]);
  }
}
