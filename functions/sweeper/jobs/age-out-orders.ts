import { ageOutSettledOrders, DEFAULT_AGE_OUT_SETTINGS } from '../../use-cases/age-out-orders.js';
import type { SweeperJob } from '../job.js';
import { flashSaleDepsOf } from './expire-reservations.js';

/** Drops settled orders from Redis once PostgreSQL has them (see use-cases/age-out-orders.ts). */
export const ageOutOrdersJob: SweeperJob = {
  name: 'age-out-orders',
  run: async (deps) => ({
    ...(await ageOutSettledOrders(flashSaleDepsOf(deps), deps.ageOutOrders ?? DEFAULT_AGE_OUT_SETTINGS)),
  }),
};
