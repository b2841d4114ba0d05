import type { EventPublisher } from '../ports/event-publisher.js';
import type { LogSink } from '../ports/logger.js';
import type { NotificationRetention } from '../ports/notifications.js';
import type { Outboxes } from '../ports/outbox.js';
import type { CloseEndedAuctionsDeps } from '../use-cases/auctions/close-ended-auctions.js';
import type { AgeOutSettings } from '../use-cases/flash-sales/age-out-orders.js';
import type { FlashSaleDeps } from '../use-cases/flash-sales/flash-sale-use-cases.js';
import type { ResendOutboxSettings } from '../use-cases/shared/resend-outbox.js';

/** What the jobs share; made once per cold start in compose.ts. Add a field for a new job's needs. */
export interface SweeperDeps {
  publisher: EventPublisher;
  logger: LogSink;
  outboxes: Outboxes;
  auctions: Pick<CloseEndedAuctionsDeps, 'closer' | 'recovery'>;
  resend: ResendOutboxSettings;
  /** The flash-sale dependencies (expiry, age-out); with a database, expiry can rebuild a lost product. */
  flashSales: FlashSaleDeps;
  /** When settled orders leave Redis (default DEFAULT_AGE_OUT_SETTINGS). */
  ageOutOrders?: AgeOutSettings;
  /** Notifications past their 30 days are deleted (with a database only). */
  notifications?: NotificationRetention;
}

/** One unit of scheduled work. A job returns counts for the run's summary; a throw fails only it. */
export interface SweeperJob {
  name: string;
  run(deps: SweeperDeps): Promise<Record<string, number>>;
}
