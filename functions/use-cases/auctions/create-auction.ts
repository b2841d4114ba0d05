import { type AuctionView, toAuctionView } from '../../domain/auction.js';
import { ConflictError, InvalidRequestError } from '../../domain/errors.js';
import type { NewAuction } from '../../ports/auction-store.js';
import { publishEvents } from '../shared/publish-events.js';
import type { AuctionDeps } from './auction-use-cases.js';
import { auctionUnavailable, recoverAuction } from './recover-auction.js';

export type CreateAuctionInput = Omit<NewAuction, 'id'> & { id?: string | undefined };

export async function createAuction(deps: AuctionDeps, input: CreateAuctionInput): Promise<AuctionView> {
  const id = input.id ?? deps.newId();
  const exists = () => new ConflictError('auction_exists', `auction ${id} already exists`, { auctionId: id });
  // A given id that PostgreSQL knows but Redis lost must not become a second, fresh auction: its
  // events would reuse the old one's event ids (`a:ID:SEQ`), and the writer would drop them as
  // duplicates. It is rebuilt first (or answers 503 while fenced), then it exists.
  if (input.id !== undefined && deps.recovery) {
    const recovery = await recoverAuction(deps.recovery, id);
    if (recovery.kind === 'fenced') throw auctionUnavailable(id);
    if (recovery.kind !== 'unknown') throw exists();
  }
  const outcome = await deps.auctions.create({ ...input, id });
  if (!outcome.ok) {
    if (outcome.code === 'auction_exists') throw exists();
    throw new InvalidRequestError(`${outcome.field}: ${outcome.message}`, { field: outcome.field });
  }
  await publishEvents({ ...deps, outbox: deps.auctions }, [outcome.event]);
  return toAuctionView(outcome.state, outcome.now);
}
