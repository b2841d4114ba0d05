import type { RedisClient } from '../adapters/redis/client.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { LogSink } from '../ports/logger.js';
import type { Outboxes } from '../ports/outbox.js';
import type { ProductArchive } from '../ports/product-archive.js';
import type { AgeOutSettings } from '../use-cases/age-out-orders.js';
import type { CloseEndedAuctionsDeps } from '../use-cases/close-ended-auctions.js';
import type { ResendOutboxSettings } from '../use-cases/resend-outbox.js';

/** What the jobs share; made once per cold start in compose.ts. Add a field for a new job's needs. */
export interface SweeperDeps {
  redis: RedisClient;
  publisher: EventPublisher;
  logger: LogSink;
  outboxes: Outboxes;
  auctions: Pick<CloseEndedAuctionsDeps, 'closer' | 'recovery'>;
  resend: ResendOutboxSettings;
  /** PostgreSQL's products, when the sweeper has a database: lets expiry rebuild a lost product. */
  productArchive?: ProductArchive;
  /** When settled orders leave Redis (default DEFAULT_AGE_OUT_SETTINGS). */
  ageOutOrders?: AgeOutSettings;
}

/** One unit of scheduled work. A job returns counts for the run's summary; a throw fails only it. */
export interface SweeperJob {
  name: string;
  run(deps: SweeperDeps): Promise<Record<string, number>>;
}
