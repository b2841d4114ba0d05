import { type ExpiryRunSummary, expireReservations } from '../../use-cases/expire-reservations.js';
import type { FlashSaleDeps } from '../../use-cases/flash-sale-use-cases.js';

/**
 * Sweeper job: expire unpaid reservations whose TTL passed (their stock returns exactly once) and
 * apply payment webhook events parked for orders that have appeared since. Needs the product store,
 * the archive, the event publisher (SQS persist + fan-out), idempotency claims (unused here) and a
 * logger: the same FlashSaleDeps the HTTP function composes.
 */
export async function expireReservationsJob(deps: FlashSaleDeps): Promise<ExpiryRunSummary> {
  const summary = await expireReservations(deps);
  return summary;
}
