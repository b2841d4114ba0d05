import { type AuctionView, toAuctionView } from '../../domain/auction.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors.js';
import type { SellerCloseRequest } from '../../ports/auction-store.js';
import { publishEvents } from '../shared/publish-events.js';
import type { AuctionDeps } from './auction-use-cases.js';
import { auctionUnavailable, recoverAuction } from './recover-auction.js';

export type SellerCloseInput = SellerCloseRequest;

const notTheSeller = () => new ForbiddenError('only the seller of this auction may end or cancel it');
const closed = () => new ConflictError('auction_closed', 'the auction is closed already');

/**
 * The seller ends their auction now (`action: 'end'`) or cancels it (`'cancel'`, with a reason),
 * API.md v1.2. The script checks the seller and closes the auction exactly as the sweeper does at
 * endsAt (the one close, `close-now`), so the close is published, persisted and fanned out like it.
 */
export async function sellerClose(deps: AuctionDeps, input: SellerCloseInput): Promise<AuctionView> {
  return decideClose(deps, input, false);
}

async function decideClose(
  deps: AuctionDeps,
  input: SellerCloseInput,
  afterRecovery: boolean,
): Promise<AuctionView> {
  const outcome = await deps.auctions.sellerClose({ ...input, requestId: deps.newId() });
  if (outcome.ok) {
    await publishEvents({ ...deps, outbox: deps.auctions }, [outcome.event]);
    return toAuctionView(outcome.state, outcome.now);
  }
  switch (outcome.code) {
    case 'forbidden':
      throw notTheSeller();
    case 'auction_closed':
      throw closed();
    case 'auction_not_found': {
      // A closed auction Redis no longer holds is final in PostgreSQL: closed, still only its
      // seller's to ask about. A lost live one is rebuilt first (503 while fenced).
      const recovery =
        deps.recovery && !afterRecovery ? await recoverAuction(deps.recovery, input.auctionId) : null;
      if (recovery?.kind === 'archived')
        throw recovery.state.sellerId === input.sellerId ? closed() : notTheSeller();
      if (recovery?.kind === 'fenced') throw auctionUnavailable(input.auctionId);
      if (recovery?.kind === 'restored' || recovery?.kind === 'present')
        return decideClose(deps, input, true);
      throw new NotFoundError('auction_not_found', `auction ${input.auctionId} does not exist`);
    }
  }
}
