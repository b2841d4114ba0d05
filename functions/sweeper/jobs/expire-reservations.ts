import { expireReservations } from '../../use-cases/flash-sales/expire-reservations.js';
import type { SweeperJob } from '../job.js';

/**
 * Expires unpaid reservations whose TTL passed (their stock returns exactly once) and applies payment
 * webhook events parked for orders that have appeared since. What its publishing could not send
 * stays in the product's outbox (indexed in outbox:index) for the outbox re-send job.
 */
export const expireReservationsJob: SweeperJob = {
  name: 'expire-reservations',
  run: async (deps) => ({ ...(await expireReservations(deps.flashSales)) }),
};
