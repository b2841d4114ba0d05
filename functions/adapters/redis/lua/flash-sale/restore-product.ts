import { type OrderRecord, orderRecordOf } from '../../../../domain/product-record.js';
import type { ArchivedProduct } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { orderKeys, productCoreKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './restore-product.lua';

// Takes one pointer key per archived order after the core keys: a variable number of keys.
export const restoreProductScript = luaScript('restoreProduct', source, 'variable');

const int = (value: number | null) => (value === null ? '' : String(value));

export async function runRestoreProduct(
  redis: RedisClient,
  args: ArchivedProduct & { eventLogLength: number; idempotencyTtlSeconds: number; now?: number },
): Promise<boolean> {
  const { product } = args;
  // Cancelled and expired orders hold nothing and stay in PostgreSQL (read back from there).
  const orders = args.orders.filter((order) => order.status === 'reserved' || order.status === 'paid');
  const now = args.now ?? Date.now();
  // A stored decision as reserve-order.lua writes it: the fingerprint and the reply, which renders
  // from its last event (the order.reserved event) at that event's time. Only the time left of the
  // decision's 24 h is restored.
  const decisions = (args.decisions ?? [])
    .map((decision) => ({
      key: productKeys(product.id).idempotency(decision.userId, decision.key),
      secondsLeft: args.idempotencyTtlSeconds - Math.floor((now - decision.event.occurredAt) / 1000),
      stored: JSON.stringify({
        fp: decision.fingerprint,
        reply: JSON.stringify({
          ok: true,
          pendingPayments: false,
          now: decision.event.occurredAt,
          events: [decision.event],
        }),
      }),
    }))
    .filter((decision) => decision.secondsLeft > 0);
  const record = {
    id: product.id,
    name: product.name,
    price: int(product.price),
    stock: int(product.stock),
    available: int(product.available),
    perUserLimit: int(product.perUserLimit),
    saleStartsAt: int(product.saleStartsAt),
    saleEndsAt: int(product.saleEndsAt),
    reservationTtlSeconds: int(product.reservationTtlSeconds),
    seq: int(product.seq),
    createdAt: int(product.createdAt),
  };
  const orderRecords: OrderRecord[] = orders.map(orderRecordOf);
  const reply = await restoreProductScript.runJson<{ restored: boolean }>(
    redis,
    [
      ...productCoreKeys(product.id),
      productKeys(product.id).fence,
      productKeys(product.id).payments,
      ...orders.map((order) => orderKeys(order.id).pointer),
      ...decisions.map((decision) => decision.key),
    ],
    [
      JSON.stringify(record),
      JSON.stringify(orderRecords),
      args.eventLogLength,
      // An empty Lua table encodes as an object; the script only iterates, so [] and {} are alike.
      JSON.stringify(args.payments ?? []),
      JSON.stringify(decisions.map((decision) => [decision.secondsLeft, decision.stored])),
    ],
  );
  return reply.restored;
}
