import { NoProductArchive } from '../../adapters/no-product-archive.js';
import { RedisIdempotencyClaims } from '../../adapters/redis/redis-idempotency-claims.js';
import { RedisProductStore } from '../../adapters/redis/redis-product-store.js';
import { expireReservations } from '../../use-cases/expire-reservations.js';
import type { FlashSaleDeps } from '../../use-cases/flash-sale-use-cases.js';
import type { SweeperDeps, SweeperJob } from '../job.js';

/** The flash-sale dependencies on the sweeper's clients; without a database no product can be rebuilt. */
export function flashSaleDepsOf(deps: SweeperDeps): FlashSaleDeps {
  return {
    products: new RedisProductStore(deps.redis),
    archive: deps.productArchive ?? new NoProductArchive(),
    publisher: deps.publisher,
    claims: new RedisIdempotencyClaims(deps.redis),
    logger: deps.logger,
  };
}

let composed: { from: SweeperDeps; flashSales: FlashSaleDeps } | undefined;

/**
 * Expires unpaid reservations whose TTL passed (their stock returns exactly once) and applies payment
 * webhook events parked for orders that have appeared since. What its publishing could not send
 * stays in the product's outbox (indexed in outbox:index) for the outbox re-send job.
 */
export const expireReservationsJob: SweeperJob = {
  name: 'expire-reservations',
  run: async (deps) => {
    if (composed?.from !== deps) composed = { from: deps, flashSales: flashSaleDepsOf(deps) };
    const summary = await expireReservations(composed.flashSales);
    return { ...summary };
  },
};
