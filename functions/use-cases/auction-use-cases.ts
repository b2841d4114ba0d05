import type { AuctionStore } from '../ports/auction-store.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { IdempotencyClaims } from '../ports/idempotency-claims.js';
import type { LogSink } from '../ports/logger.js';

/** What the auction use cases need; wired once per cold start. */
export interface AuctionDeps {
  auctions: AuctionStore;
  publisher: EventPublisher;
  claims: IdempotencyClaims;
  logger: LogSink;
  newId: () => string;
}
