import type { AuctionCloseScheduler } from '../../ports/auction-close-scheduler.js';
import type { AuctionStore } from '../../ports/auction-store.js';
import type { EventPublisher } from '../../ports/event-publisher.js';
import type { IdempotencyClaims } from '../../ports/idempotency-claims.js';
import type { LogSink } from '../../ports/logger.js';
import type { AuctionRecoveryDeps } from './recover-auction.js';

/** What the auction use cases need; wired once per cold start. */
export interface AuctionDeps {
  auctions: AuctionStore;
  publisher: EventPublisher;
  claims: IdempotencyClaims;
  logger: LogSink;
  newId: () => string;
  /** PostgreSQL read-back and rebuild (absent without DATABASE_URL: a missing auction is a 404). */
  recovery?: AuctionRecoveryDeps;
  /** Closes each auction at its end (absent: the minute sweeper closes it). */
  closes?: AuctionCloseScheduler;
}
