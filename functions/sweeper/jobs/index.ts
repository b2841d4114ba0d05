import type { SweeperJob } from '../job.js';
import { ageOutOrdersJob } from './age-out-orders.js';
import { closeAuctionsJob } from './close-auctions.js';
import { expireReservationsJob } from './expire-reservations.js';
import { pruneNotificationsJob } from './prune-notifications.js';
import { resendOutboxJob } from './resend-outbox.js';

/**
 * The sweeper's jobs, run in this order on every schedule tick. Register a job by adding it here.
 * State-changing jobs come first; the outbox re-send runs last so it also picks up whatever their
 * publishing could not send. Settled orders age out of Redis last (they need PostgreSQL to have them);
 * notifications past their 30 days are deleted after that.
 */
export const jobs: SweeperJob[] = [
  closeAuctionsJob,
  resendOutboxJob,
  expireReservationsJob,
  ageOutOrdersJob,
  pruneNotificationsJob,
];
