import { type AuctionView, type BidView, toAuctionView, toOwnBidView } from '../../domain/auction.js';
import {
  ConflictError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  NotFoundError,
  RateLimitedError,
} from '../../domain/errors.js';
import { publishEvents } from '../shared/publish-events.js';
import { underUserRules } from '../shared/user-requests.js';
import type { AuctionDeps } from './auction-use-cases.js';
import { auctionUnavailable, recoverAuction } from './recover-auction.js';

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
    case 'auction_not_found': {
      // Redis lost it or evicted it: a closed auction takes no bid, a lost one is rebuilt first
      // (or answers 503 while fenced), so that a bid never lands on a state missing accepted bids.
      // Looking it up costs PostgreSQL: counted toward the user's limit first.
      if (!afterRecovery) await admitMiss();
      const recovery =
        deps.recovery && !afterRecovery ? await recoverAuction(deps.recovery, input.auctionId) : null;
      if (recovery?.kind === 'archived')
        throw new ConflictError('auction_closed', refusalMessages.auction_closed);
      if (recovery?.kind === 'fenced') throw auctionUnavailable(input.auctionId);
      if (recovery?.kind === 'restored' || recovery?.kind === 'present')
        return decideBid(deps, input, admitMiss, true);
      throw new NotFoundError('auction_not_found', `auction ${input.auctionId} does not exist`);
    }
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
