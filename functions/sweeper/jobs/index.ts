import type { SweeperJob } from '../job.js';
import { closeAuctionsJob } from './close-auctions.js';
import { expireReservationsJob } from './expire-reservations.js';
import { resendOutboxJob } from './resend-outbox.js';

/**
 * The sweeper's jobs, run in this order on every schedule tick. Register a job by adding it here.
 * State-changing jobs come first; the outbox re-send runs last so it also picks up whatever their
 * publishing could not send.
 */
export const jobs: SweeperJob[] = [closeAuctionsJob, resendOutboxJob, expireReservationsJob];
