import { ageOutSettledOrders, DEFAULT_AGE_OUT_SETTINGS } from '../../use-cases/flash-sales/age-out-orders.js';
import type { SweeperJob } from '../job.js';

/** Drops settled orders from Redis once PostgreSQL has them (see use-cases/flash-sales/age-out-orders.ts). */
export const ageOutOrdersJob: SweeperJob = {
  name: 'age-out-orders',
  run: async (deps) => ({
    ...(await ageOutSettledOrders(deps.flashSales, deps.ageOutOrders ?? DEFAULT_AGE_OUT_SETTINGS)),
  }),
};
