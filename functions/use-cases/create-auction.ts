import { type AuctionView, toAuctionView } from '../domain/auction.js';
import { ConflictError, InvalidRequestError } from '../domain/errors.js';
import type { NewAuction } from '../ports/auction-store.js';
import type { AuctionDeps } from './auction-use-cases.js';
import { publishEvents } from './publish-events.js';

export type CreateAuctionInput = Omit<NewAuction, 'id'> & { id?: string | undefined };

export async function createAuction(deps: AuctionDeps, input: CreateAuctionInput): Promise<AuctionView> {
  const id = input.id ?? deps.newId();
  const outcome = await deps.auctions.create({ ...input, id });
  if (!outcome.ok) {
    if (outcome.code === 'auction_exists') {
      throw new ConflictError('auction_exists', `auction ${id} already exists`, { auctionId: id });
    }
    throw new InvalidRequestError(`${outcome.field}: ${outcome.message}`, { field: outcome.field });
  }
  await publishEvents({ ...deps, outbox: deps.auctions }, [outcome.event]);
  return toAuctionView(outcome.state, outcome.now);
}
