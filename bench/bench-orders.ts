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
import { spawn } from 'node:child_process';
import { sign } from 'hono/jwt';
import { Redis } from 'ioredis';
import { orderKeys, productKeys } from '../functions/adapters/redis/product-keys.js';
import { formatTable, type LoadResult, runLoad, startBenchServer } from './support/load.js';
import { startBenchSqs } from './support/local-sqs.js';

async function startSqsProcess(names: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/sqs-server-process.ts'], {
    env: { ...process.env, QUEUES: names.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /sqs (http\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`SQS server exited with ${code}`)));
  });
  return {
    endpoint,
    queueUrl: (name: string) => `${endpoint}/000000000000/${name}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const jwtSecret = 'bench-secret-0123456789abcdef';
const BUYERS = 2_000;
const STOCK = 1_000_000_000;

console.log(`bench:orders — ${seconds}s per phase, ${connections} connections, Redis ${redisUrl}`);
const queues = ['bench-orders-persist', 'bench-orders-fanout'];
// The SQS-protocol server runs in its own process (BENCH_SQS=inline keeps it in this one): in the
// load generator's process it competes with autocannon, and every reservation waits for it.
const sqs = process.env.BENCH_SQS === 'inline' ? await startBenchSqs(queues) : await startSqsProcess(queues);
const server = await startBenchServer({
  REDIS_URL: redisUrl,
  JWT_SECRET: jwtSecret,
  WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
  // Buyers repeat quickly on purpose; the per-user rate limit would turn most requests into 429s.
  ORDER_RATE_LIMIT: '0',
  PERSIST_QUEUE_URL: sqs.queueUrl('bench-orders-persist'),
  FANOUT_QUEUE_URL: sqs.queueUrl('bench-orders-fanout'),
  SQS_ENDPOINT: sqs.endpoint,
  SQS_COALESCE_MS: process.env.SQS_COALESCE_MS ?? '2',
});
const base = `http://127.0.0.1:${server.port}`;
console.log(`server on ${base} (pid ${server.child.pid})`);

const exp = Math.floor(Date.now() / 1000) + 3_600;
const adminToken = await sign({ sub: 'bench-admin', role: 'admin', exp }, jwtSecret, 'HS256');
const buyerTokens = await Promise.all(
  Array.from({ length: BUYERS }, (_, index) => sign({ sub: `buyer-${index}`, exp }, jwtSecret, 'HS256')),
);

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

function orderRequests(productId: string) {
  let counter = 0;
  const body = JSON.stringify({ productId, qty: 1 });
  return (request: { body?: string; headers?: Record<string, string>; path?: string }) => {
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

const echo = (request: { body?: string; headers?: Record<string, string> }) => {
  request.body = JSON.stringify({ productId: 'p', qty: 1 });
  return request;
};

console.log('warm-up');
await runLoad({
  label: 'warm-up orders',
  url: `${base}/`,
  method: 'POST',
  durationSeconds: 2,
  connections,
  setupRequest: orderRequests(await createProduct()),
});
await runLoad({
  label: 'warm-up trivial',
  url: `${base}/bench/echo`,
  method: 'POST',
  durationSeconds: 2,
  connections,
  setupRequest: echo,
});

console.log('measure');
const trivialMax = await runLoad({
  label: 'trivial POST, max',
  url: `${base}/bench/echo`,
  method: 'POST',
  durationSeconds: seconds,
  connections,
  setupRequest: echo,
});
const hotProduct = await createProduct();
const ordersMax = await runLoad({
  label: 'reservations, max',
  url: `${base}/`,
  method: 'POST',
  durationSeconds: seconds,
  connections,
  setupRequest: orderRequests(hotProduct),
});
const trivialPaced = await runLoad({
  label: 'trivial POST @1000/s',
  url: `${base}/bench/echo`,
  method: 'POST',
  durationSeconds: seconds,
  connections: 50,
  rate: 1_000,
  setupRequest: echo,
});
const pacedProduct = await createProduct();
const ordersPaced = await runLoad({
  label: 'reservations @1000/s',
  url: `${base}/`,
  method: 'POST',
  durationSeconds: seconds,
  connections: 50,
  rate: 1_000,
  setupRequest: orderRequests(pacedProduct),
});

// Consistency check on the hot product: the stock taken equals the 201s the load saw.
const finalResponse = await fetch(`${base}/products/${hotProduct}`);
const finalState = (await finalResponse.json()) as { product: { available: number; seq: number } };
const accepted = ordersMax.statusCounts['201'] ?? 0;
const taken = STOCK - finalState.product.available;

await server.stop();
await sqs.stop();

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

const row = (result: LoadResult) => [
  result.label,
  String(Math.round(result.requestsPerSecond)),
  result.p50.toFixed(1),
  result.p99.toFixed(1),
  Object.entries(result.statusCounts)
    .map(([code, count]) => `${code}:${count}`)
    .join(' '),
  String(result.errors),
];
console.log('\nsummary');
console.log(
  formatTable([
    ['phase', 'req/s', 'p50 ms', 'p99 ms', 'statuses', 'errors'],
    row(trivialMax),
    row(ordersMax),
    row(trivialPaced),
    row(ordersPaced),
  ]),
);
const ratio = ordersMax.requestsPerSecond / trivialMax.requestsPerSecond;
console.log(`\nreservations/s vs trivial route: ${ratio.toFixed(2)}`);
console.log(`reservations/s at max: ${Math.round(ordersMax.requestsPerSecond)} (target >= 5000)`);
console.log(`reservation p99 at 1000/s offered: ${ordersPaced.p99} ms`);
// Requests still in flight when the load generator stops are served but not counted: at most one
// per connection.
const consistent = taken >= accepted && taken - accepted <= connections;
console.log(
  `hot product units taken ${taken}, 201 answers counted ${accepted} (+ at most ${connections} in flight at the end): ${consistent ? 'ok' : 'MISMATCH'}`,
);
const fiveXX = [ordersMax, ordersPaced].reduce(
  (sum, result) =>
    sum +
    Object.entries(result.statusCounts)
      .filter(([code]) => code.startsWith('5'))
      .reduce((subtotal, [, count]) => subtotal + count, 0),
  0,
);
if (fiveXX > 0 || !consistent) process.exitCode = 1;
