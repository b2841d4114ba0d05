import type { AntiSnipe, AuctionState, Bid } from '../domain/auction.js';
import type { EventEnvelope } from '../domain/events.js';
import type { IncrementTable } from '../domain/increments.js';

export interface NewAuction {
  id: string;
  title: string;
  sellerId: string;
  startingPrice: number;
  minIncrement: number;
  reservePrice: number | null;
  /** Epoch ms; null means "now" on the store's clock. */
  startsAt: number | null;
  endsAt: number;
  antiSnipe: AntiSnipe | null;
  /** Buy It Now (API.md v1.2); absent or null: none. */
  buyNowPrice?: number | null;
  /**
   * Tiered increments (API.md v1.2), validated; absent or null: the fixed `minIncrement`. With a
   * table the store keeps `minIncrement` as the increment in force (the row of the starting price).
   */
  incrementTable?: IncrementTable | null;
}

export type CreateAuctionOutcome =
  | { ok: true; now: number; state: AuctionState; event: EventEnvelope }
  | { ok: false; now: number; code: 'auction_exists' }
  | { ok: false; now: number; code: 'invalid_schedule'; field: string; message: string };

export interface BidCommand {
  auctionId: string;
  bidderId: string;
  amount: number;
  /** Proxy bidding: the bidder's secret maximum (>= amount); absent or null for a v1 bid. */
  maxAmount?: number | null;
  bidId: string;
  idempotency: { key: string; fingerprint: string } | null;
}

export type BidRefusalCode = 'seller_cannot_bid' | 'auction_not_open' | 'auction_closed' | 'already_leading';

export type PlaceBidOutcome = { now: number; replayed: boolean } & (
  | {
      ok: true;
      /** After the last event. */
      state: AuctionState;
      /** The request's own bid (with its maxAmount when it gave one). */
      bid: Bid;
      /** The newest of `events`. */
      event: EventEnvelope;
      /** Oldest first: the bid, then the proxy's raise if it made one (one event for a v1 bid). */
      events: EventEnvelope[];
      extended: boolean;
      /** Proxy bidding: the bidder does not lead after this bid. */
      outbid: boolean;
      /** Proxy bidding: the leader raised their own maximum. */
      maxRaised: boolean;
    }
  | { ok: false; code: 'auction_not_found' | 'idempotency_key_reused' }
  | { ok: false; code: 'rate_limited'; retryAfterMs: number }
  /** Refusals name their rule only (the answer says no more; the script does not encode the state). */
  | { ok: false; code: BidRefusalCode }
  | { ok: false; code: 'bid_too_low'; minimumBid: number }
  /** The amount or maximum is above MAX_SAFE_INTEGER - minIncrement: input this auction cannot take. */
  | { ok: false; code: 'above_ceiling'; field: 'amount' | 'maxAmount'; maximumBid: number }
);

export interface BuyNowCommand {
  auctionId: string;
  buyerId: string;
  /** Made by the caller (ULID): a resent command repeats its first run. */
  requestId: string;
  idempotency: { key: string; fingerprint: string } | null;
}

export type BuyNowRefusalCode =
  | 'seller_cannot_bid'
  | 'auction_not_open'
  | 'auction_closed'
  | 'buy_now_unavailable';

export type BuyNowOutcome = { now: number; replayed: boolean } & (
  | { ok: true; state: AuctionState; event: EventEnvelope }
  | { ok: false; code: 'auction_not_found' | 'idempotency_key_reused' }
  | { ok: false; code: 'rate_limited'; retryAfterMs: number }
  | { ok: false; code: BuyNowRefusalCode }
);

/** The seller's End or Cancel (API.md v1.2); the store checks that `sellerId` is the auction's. */
export type SellerCloseRequest = { auctionId: string; sellerId: string } & (
  | { action: 'end' }
  | { action: 'cancel'; reason: string }
);

export type SellerCloseCommand = SellerCloseRequest & { requestId: string };

export type SellerCloseOutcome = { now: number } & (
  | { ok: true; state: AuctionState; event: EventEnvelope }
  | { ok: false; code: 'auction_not_found' | 'forbidden' | 'auction_closed' }
);

/** The deciding store of auctions (Redis): every method is one atomic step on one auction. */
export interface AuctionStore {
  create(auction: NewAuction): Promise<CreateAuctionOutcome>;
  read(auctionId: string): Promise<{ now: number; state: AuctionState | null }>;
  placeBid(command: BidCommand): Promise<PlaceBidOutcome>;
  /** Buy It Now: decided on the auction's slot, atomically with its bids. */
  buyNow(command: BuyNowCommand): Promise<BuyNowOutcome>;
  /** The seller ends or cancels the auction now (the same close as at endsAt). */
  sellerClose(command: SellerCloseCommand): Promise<SellerCloseOutcome>;
  /** Newest first. */
  recentBids(auctionId: string, limit: number): Promise<Bid[]>;
  /** Oldest first, seq > sinceSeq. */
  events(auctionId: string, sinceSeq: number, limit: number): Promise<EventEnvelope[]>;
  /** Removes events from the entity's outbox once the persist queue has them. */
  acknowledge(events: readonly EventEnvelope[]): Promise<void>;
}
