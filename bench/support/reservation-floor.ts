/**
 * The floor of an accepted reservation in this data model (issue 17): the seven writes
 * reserve-order.lua makes for one (order into its hash, deadline, order pointer, held units, the
 * event into the log and the outbox, the product's available + seq), of the sizes it writes, with no
 * rule, read or encoding. bench:scripts runs it as a script beside the real one; bench:redis as a
 * function in the reservation storm, at the no-op's pace.
 */

/** The writes, as a script body (KEYS / ARGV as in `floorCall`). */
export const FLOOR_WRITES_LUA = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('SET', KEYS[3], 'product')
redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[3] .. ARGV[4])
redis.call('HSET', KEYS[6], ARGV[1], ARGV[3] .. ARGV[4])
redis.call('HSET', KEYS[7], 'available', ARGV[4], 'seq', ARGV[4])
return 1`;

/** The same writes registered as the function `name` (a library's line; KEYS / ARGV as parameters). */
export const floorFunctionLine = (name: string) =>
  `redis.register_function('${name}', function(KEYS, ARGV)\n${FLOOR_WRITES_LUA}\nend)`;

const ORDER_JSON = JSON.stringify({
  id: 'o'.repeat(29),
  productId: 'p'.repeat(26),
  userId: 'user-12345',
  qty: 1,
  amount: '5000',
  status: 'reserved',
  createdAt: Date.now(),
  expiresAt: Date.now() + 600_000,
  paidAt: 0,
  refundRequired: false,
});
/** ~850 B, as an order.reserved envelope with its product and order. */
const EVENT_JSON = JSON.stringify({
  eventId: 'p:x:1',
  payload: { product: 'x'.repeat(330), order: ORDER_JSON },
});

/**
 * The keys and arguments of the `n`-th floor call on the product tagged `tag` (e.g. `{bench-floor}`),
 * and its outbox entry, which the caller acknowledges after it (HDEL) as the HTTP function would.
 */
export function floorCall(tag: string, n: number) {
  const order = `o${n}`;
  return {
    keys: [
      `${tag}:orders`,
      `${tag}:deadlines`,
      `${tag}:${order}`,
      `${tag}:held`,
      `${tag}:events`,
      `${tag}:outbox`,
      tag,
    ],
    args: [order, ORDER_JSON, EVENT_JSON, String(n)],
    outbox: { key: `${tag}:outbox`, field: order },
  };
}
