import type { ParkOutcome, PaymentEvent } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { orderKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './park-payment.lua';

export const parkPaymentScript = luaScript('parkPayment', source);

export function runParkPayment(
  redis: RedisClient,
  args: { event: PaymentEvent; lifetimeSeconds: number },
): Promise<ParkOutcome> {
  const keys = orderKeys(args.event.orderId);
  return parkPaymentScript.runJson<ParkOutcome>(
    redis,
    [keys.pointer, keys.pending],
    [args.event.id, JSON.stringify(args.event), args.lifetimeSeconds],
  );
}
