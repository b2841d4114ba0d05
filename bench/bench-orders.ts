/**
 * npm run bench:orders — many concurrent reservations (POST /orders) through the HTTP server, next to
 * a trivial route on the same server measured in the same run (this machine is shared and noisy, so
 * only the ratio and the same-run reference mean something).
 *
 * The product is hot (every reservation hits the same product, one Redis slot: the flash-sale case)
 * and has a very large stock and per-user limit, so that the measured path is the accepting one
 * (stock taken, order written, event to the outbox and both SQS queues) rather than `sold_out`.
 *
 * Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS (default 8), BENCH_CONNECTIONS (100).
 */
import { Redis } from 'ioredis';
import { orderKeys, productKeys } from '../functions/adapters/redis/redis-keys.js';
import {
  BENCH_JWT_SECRET,
  measureAgainstTrivial,
  printSummary,
  type RequestSetup,
  serverErrors,
  signAdminToken,
  signTokens,
  startBenchStack,
} from './support/phases.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BUYERS = 2_000;
const STOCK = 1_000_000_000;

console.log(`bench:orders — ${seconds}s per phase, ${connections} connections, Redis ${redisUrl}`);
// Buyers repeat quickly on purpose; the per-user rate limit would turn most requests into 429s.
const stack = await startBenchStack('bench-orders', { ORDER_RATE_LIMIT: '0' });
const { base } = stack;

const adminToken = await signAdminToken(BENCH_JWT_SECRET);
const buyerTokens = await signTokens(BENCH_JWT_SECRET, 'buyer', BUYERS);

const created: string[] = [];
async function createProduct(): Promise<string> {
  const response = await fetch(`${base}/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: 'Bench sneaker', price: 9_999, stock: STOCK, perUserLimit: 1_000_000 }),
  });
  if (response.status !== 201) throw new Error(`create product: ${response.status} ${await response.text()}`);
  const id = ((await response.json()) as { product: { id: string } }).product.id;
  created.push(id);
  return id;
}

/** Every reservation hits the same product: the flash-sale case, one Redis slot. */
async function hotProduct(): Promise<RequestSetup> {
  const productId = await createProduct();
  let counter = 0;
  const body = JSON.stringify({ productId, qty: 1 });
  return (request) => {
    counter += 1;
    request.path = '/orders';
    request.headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${buyerTokens[counter % BUYERS]}`,
    };
    request.body = body;
    return request;
  };
}

const results = await measureAgainstTrivial({
  base,
  seconds,
  connections,
  label: 'reservations',
  serverCpuSeconds: stack.cpuSeconds,
  newTarget: hotProduct,
});
const ordersMax = results.targetMax;
const hotProductId = created[1] as string;

// Consistency check on the hot product: the stock taken equals the 201s the load saw.
const finalResponse = await fetch(`${base}/products/${hotProductId}`);
const finalState = (await finalResponse.json()) as { product: { available: number; seq: number } };
const accepted = ordersMax.statusCounts['201'] ?? 0;
const taken = STOCK - finalState.product.available;

await stack.stop();

// The machine's Redis is shared: remove the bench products, their orders and order pointers.
const redis = new Redis(redisUrl);
for (const productId of created) {
  const keys = productKeys(productId);
  let cursor = '0';
  do {
    const [next, fields] = await redis.hscan(keys.orders, cursor, 'COUNT', 1_000);
    cursor = next;
    const orderIds = fields.filter((_, index) => index % 2 === 0);
    if (orderIds.length > 0) await redis.del(...orderIds.map((orderId) => orderKeys(orderId).pointer));
  } while (cursor !== '0');
  await redis.del(keys.state, keys.orders, keys.held, keys.deadlines, keys.events, keys.outbox);
  await redis.zrem('products:by-next-expiry', productId);
}
redis.disconnect();

printSummary(results, 'reservations', 5_000);
// Requests still in flight when the load generator stops are served but not counted: at most one
// per connection.
const consistent = taken >= accepted && taken - accepted <= connections;
console.log(
  `hot product units taken ${taken}, 201 answers counted ${accepted} (+ at most ${connections} in flight at the end): ${consistent ? 'ok' : 'MISMATCH'}`,
);
if (serverErrors(results.targetMax, results.targetPaced) > 0 || !consistent) process.exitCode = 1;
