import type { EventEnvelope } from '../../domain/events.js';
import { publishEvents } from '../shared/publish-events.js';
import type { CloseEndedAuctionsDeps } from './close-ended-auctions.js';

export interface CloseNowResult {
  code: 'closed' | 'already_closed' | 'not_ended' | 'auction_not_found';
  /** The auction's end as it stands (ISO-8601), for the closer to wait again after an extension. */
  endsAt: string | null;
}

/**
 * The auction closer's call (lib/constructs/auction-closer.ts): close one auction now that its end
 * has passed, as the sweeper's close job does for each due one (the same script, the same index
 * bookkeeping), and say its end when anti-sniping moved it. An auction Redis does not have is left
 * to the sweeper, which knows how to rebuild it.
 */
export async function closeAuctionNow(
  deps: Pick<CloseEndedAuctionsDeps, 'closer' | 'publisher' | 'outboxes' | 'logger'>,
  auctionId: string,
): Promise<CloseNowResult> {
  const outcome = await deps.closer.close(auctionId);
  switch (outcome.code) {
    case 'closed': {
      await publishEvents({ ...deps, outbox: deps.outboxes }, [outcome.event]);
      await deps.closer.unschedule(auctionId);
      return { code: 'closed', endsAt: endsAtOf(outcome.event) };
    }
    case 'already_closed':
      await deps.closer.unschedule(auctionId);
      return { code: 'already_closed', endsAt: null };
    case 'not_ended':
      await deps.closer.reschedule(auctionId, outcome.endsAt);
      // A Wait state's timestamp is to the second: rounded up, it never fires before the end.
      return { code: 'not_ended', endsAt: new Date(Math.ceil(outcome.endsAt / 1000) * 1000).toISOString() };
    default:
      return { code: 'auction_not_found', endsAt: null };
  }
}

function endsAtOf(event: EventEnvelope): string | null {
  const endsAt = Number((event.payload as { state?: { endsAt?: string } }).state?.endsAt);
  return Number.isFinite(endsAt) ? new Date(endsAt).toISOString() : null;
}
