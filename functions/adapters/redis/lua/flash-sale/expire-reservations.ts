import type { ExpireOutcome } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { productCoreKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './expire-reservations.lua';

export const expireReservationsScript = luaScript('expireReservations', source);

export function runExpireReservations(
  redis: RedisClient,
  args: { productId: string; max: number; eventLogLength: number },
): Promise<ExpireOutcome> {
  return expireReservationsScript.runJson<ExpireOutcome>(
    redis,
    [...productCoreKeys(args.productId), productKeys(args.productId).fence],
    [args.max, args.eventLogLength],
  );
}
