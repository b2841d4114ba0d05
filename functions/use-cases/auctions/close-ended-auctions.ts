import type { EventEnvelope } from '../../domain/events.js';
import type { AuctionCloser } from '../../ports/auction-recovery.js';
import type { EventPublisher } from '../../ports/event-publisher.js';
import type { LogSink } from '../../ports/logger.js';
import type { Outboxes } from '../../ports/outbox.js';
import { publishEvents } from '../shared/publish-events.js';
import { type AuctionRecoveryDeps, recoverAuction } from './recover-auction.js';

export interface CloseEndedAuctionsDeps {
  closer: AuctionCloser;
  publisher: EventPublisher;
  outboxes: Pick<Outboxes, 'acknowledge'>;
  logger: LogSink;
  /** With PostgreSQL: an indexed auction Redis lost is rebuilt (fenced) so that it gets closed. */
  recovery?: AuctionRecoveryDeps;
}

export interface CloseCounts {
  closed: number;
  alreadyClosed: number;
  rescheduled: number;
  dropped: number;
  recovering: number;
}

/**
 * Closes the auctions whose end has passed, from the `auctions:by-end` index: the close script
 * decides on the server clock and writes `auction.closed` to the log and the outbox; the events are
 * then published (persist + fan-out). An auction extended by anti-sniping is re-scored to its new end.
 * An index entry is removed only after its auction is recorded closed (or never existed), so a crash
 * anywhere means the next run does the rest.
 */
export async function closeEndedAuctions(
  deps: CloseEndedAuctionsDeps,
  options: { batch: number; maxRounds: number } = { batch: 200, maxRounds: 50 },
): Promise<CloseCounts> {
  const counts: CloseCounts = { closed: 0, alreadyClosed: 0, rescheduled: 0, dropped: 0, recovering: 0 };
  const now = await deps.closer.now();
  // Entries left in place (being recovered) are skipped by offset, so they never block the others.
  let leftInPlace = 0;
  for (let round = 0; round < options.maxRounds; round++) {
    const ids = await deps.closer.dueForClose(now, options.batch + leftInPlace);
    const todo = ids.slice(leftInPlace);
    if (todo.length === 0) break;
    const events: EventEnvelope[] = [];
    await Promise.all(
      todo.map(async (auctionId) => {
        const outcome = await deps.closer.close(auctionId);
        switch (outcome.code) {
          case 'closed':
            events.push(outcome.event);
            counts.closed++;
            await deps.closer.unschedule(auctionId);
            return;
          case 'already_closed':
            counts.alreadyClosed++;
            await deps.closer.unschedule(auctionId);
            return;
          case 'not_ended':
            counts.rescheduled++;
            await deps.closer.reschedule(auctionId, outcome.endsAt);
            return;
          case 'auction_not_found': {
            const recovery = deps.recovery
              ? await recoverAuction(deps.recovery, auctionId)
              : { kind: 'unknown' };
            if (recovery.kind === 'unknown' || recovery.kind === 'archived') {
              counts.dropped++;
              await deps.closer.unschedule(auctionId);
            } else {
              counts.recovering++;
              leftInPlace++;
            }
          }
        }
      }),
    );
    if (events.length > 0) await publishEvents({ ...deps, outbox: deps.outboxes }, events);
    if (todo.length < options.batch) break;
  }
  return counts;
}
