import type { AuctionState } from '../../domain/auction.js';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.js';
import type { AuctionArchive } from '../../ports/auction-archive.js';
import type { AuctionRecoveryStore } from '../../ports/auction-recovery.js';

/** Seconds a client waits before retrying an auction that is being rebuilt. */
export const AUCTION_RECOVERY_RETRY_AFTER_SECONDS = 5;

/** How many recent bids and events a rebuilt auction gets back (as the scripts keep them). */
const RESTORED_BIDS = 100;
const RESTORED_EVENTS = 10_000;

export interface AuctionRecoveryDeps {
  archive: AuctionArchive;
  recovery: AuctionRecoveryStore;
}

export type AuctionRecovery =
  /** PostgreSQL never heard of it, and nothing for it is on its way there. */
  | { kind: 'unknown' }
  /** Closed and persisted: final, served from PostgreSQL, nothing to rebuild. */
  | { kind: 'archived'; state: AuctionState }
  /** Redis has it (again): read it there. */
  | { kind: 'present' }
  | { kind: 'restored' }
  /** Lost (or not stored yet), and something sent for it may still be on its way: 503 until it settles. */
  | { kind: 'fenced' };

/**
 * Guarantee 5 for auctions. An auction Redis does not have is either unknown (404), closed and
 * persisted (served from the archive: a closed auction never changes again), or lost while live.
 * A lost auction is fenced; it is rebuilt from PostgreSQL only once its outbox is empty and the
 * archive says everything sent for it before the fence is persisted (persist queue and DLQ drained,
 * settle time passed), from a snapshot read after that, so the rebuilt state includes every accepted
 * bid and the next bid continues at the persisted seq + 1. Until then the caller answers 503.
 */
export async function recoverAuction(deps: AuctionRecoveryDeps, auctionId: string): Promise<AuctionRecovery> {
  const archived = await deps.archive.find(auctionId);
  // Not in PostgreSQL may mean "not stored yet" (a slow writer, an outage): while the persist queue
  // may still carry its events, it is not unknown (no 404, no second creation with its id, no drop
  // from the sweeper's close index): 503 until the queue tells (issue 24).
  if (archived === null)
    return (await deps.archive.mayBeInFlight(auctionId)) ? { kind: 'fenced' } : { kind: 'unknown' };
  if (archived.state.closedAt !== null) return { kind: 'archived', state: archived.state };
  const fence = await deps.recovery.fence(auctionId);
  if (fence.exists) return { kind: 'present' };
  if (fence.outboxPending > 0 || !(await deps.archive.settled(auctionId, fence.since)))
    return { kind: 'fenced' };
  const snapshot = await deps.archive.find(auctionId);
  if (snapshot === null) return { kind: 'fenced' };
  // The newest events up to the snapshot, as Redis keeps them (the log is trimmed from its oldest
  // end): an auction with a longer history gets back its last RESTORED_EVENTS, so `/events?since=`
  // answers the recent history a client catches up on (issue 24).
  const [bids, events, decisions] = await Promise.all([
    deps.archive.recentBids(auctionId, RESTORED_BIDS),
    deps.archive.events(auctionId, Math.max(0, snapshot.state.seq - RESTORED_EVENTS), RESTORED_EVENTS),
    deps.archive.decisions(auctionId),
  ]);
  const restored = await deps.recovery.restore(auctionId, {
    record: snapshot.record,
    bids,
    events,
    decisions,
  });
  return restored ? { kind: 'restored' } : { kind: 'present' };
}

export const auctionUnavailable = (auctionId: string) =>
  new UnavailableError(
    'auction_unavailable',
    `auction ${auctionId} is being restored, retry shortly`,
    AUCTION_RECOVERY_RETRY_AFTER_SECONDS,
  );

/**
 * A user's keyed write (a bid, a buy-now) found no auction in Redis: returns when the auction is
 * there again (rebuilt, or present after all) and the write may be decided once more; else throws
 * what the caller answers. A closed auction takes no write, a lost one is rebuilt first (or answers
 * 503 while fenced), so that a write never lands on a state missing accepted bids. Looking it up
 * costs PostgreSQL: counted toward the user's limit first (`admitMiss`). A second miss after a
 * rebuild is not looked up again.
 */
export async function awaitAuctionForWrite(
  deps: AuctionRecoveryDeps | undefined,
  auctionId: string,
  admitMiss: () => Promise<void>,
  afterRecovery: boolean,
): Promise<void> {
  if (!afterRecovery) await admitMiss();
  const recovery = deps && !afterRecovery ? await recoverAuction(deps, auctionId) : null;
  if (recovery?.kind === 'archived') throw new ConflictError('auction_closed', 'the auction has ended');
  if (recovery?.kind === 'fenced') throw auctionUnavailable(auctionId);
  if (recovery?.kind === 'restored' || recovery?.kind === 'present') return;
  throw new NotFoundError('auction_not_found', `auction ${auctionId} does not exist`);
}
