import { type AuctionView, toAuctionView } from '../../domain/auction.js';
import { ConflictError, InvalidRequestError } from '../../domain/errors.js';
import { incrementAt, incrementTableProblem } from '../../domain/increments.js';
import type { NewAuction } from '../../ports/auction-store.js';
import { publishEvents } from '../shared/publish-events.js';
import type { AuctionDeps } from './auction-use-cases.js';
import { auctionUnavailable, recoverAuction } from './recover-auction.js';

/** `minIncrement` or `incrementTable` (API.md v1.2: exactly one; the edge checked it). */
export type CreateAuctionInput = Omit<NewAuction, 'id' | 'minIncrement'> & {
  id?: string | undefined;
  minIncrement?: number | undefined;
};

/** The increment in force at creation: the fixed one, or the table's row of the starting price. */
function startingIncrement(input: CreateAuctionInput): number {
  const table = input.incrementTable ?? null;
  if (table !== null) {
    const problem = incrementTableProblem(table);
    if (problem !== null) throw new InvalidRequestError(problem, { field: 'incrementTable' });
    return incrementAt(table, input.startingPrice);
  }
  if (input.minIncrement === undefined)
    throw new InvalidRequestError('minIncrement: required (or give incrementTable)', {
      field: 'minIncrement',
    });
  return input.minIncrement;
}

export async function createAuction(deps: AuctionDeps, input: CreateAuctionInput): Promise<AuctionView> {
  const id = input.id ?? deps.newId();
  const minIncrement = startingIncrement(input);
  const exists = () => new ConflictError('auction_exists', `auction ${id} already exists`, { auctionId: id });
  // A given id that PostgreSQL knows but Redis lost must not become a second, fresh auction: its
  // events would reuse the old one's event ids (`a:ID:SEQ`), and the writer would drop them as
  // duplicates. It is rebuilt first (or answers 503 while fenced), then it exists.
  if (input.id !== undefined && deps.recovery) {
    const recovery = await recoverAuction(deps.recovery, id);
    if (recovery.kind === 'fenced') throw auctionUnavailable(id);
    if (recovery.kind !== 'unknown') throw exists();
  }
  const outcome = await deps.auctions.create({ ...input, id, minIncrement });
  if (!outcome.ok) {
    if (outcome.code === 'auction_exists') throw exists();
    throw new InvalidRequestError(`${outcome.field}: ${outcome.message}`, { field: outcome.field });
  }
  await publishEvents({ ...deps, outbox: deps.auctions }, [outcome.event]);
  // The close about at endsAt (issue 27); if this fails, the sweeper closes it within its minute.
  await deps.closes?.scheduleClose(id, outcome.state.endsAt).catch((error: unknown) =>
    deps.logger.warn('auction close not scheduled; the sweeper will close it', {
      auctionId: id,
      error: String(error),
    }),
  );
  return toAuctionView(outcome.state, outcome.now);
}
