/**
 * npm run bench:bids — many concurrent bids on one hot auction through the HTTP server, next to a
 * trivial route on the same server measured in the same run (this machine is shared and noisy, so
 * only the ratio and the same-run reference mean something).
 *
 * Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS (default 8), BENCH_CONNECTIONS (100).
 */
import { sign } from 'hono/jwt';
import { formatTable, type LoadResult, runLoad, startBenchServer } from './support/load.js';
import { startBenchSqs } from './support/local-sqs.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const jwtSecret = 'bench-secret-0123456789abcdef';
const BIDDERS = 2_000;

console.log(`bench:bids — ${seconds}s per phase, ${connections} connections, Redis ${redisUrl}`);
const sqs = await startBenchSqs(['bench-persist', 'bench-fanout']);
const server = await startBenchServer({
  REDIS_URL: redisUrl,
  JWT_SECRET: jwtSecret,
  WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
  PERSIST_QUEUE_URL: sqs.queueUrl('bench-persist'),
  FANOUT_QUEUE_URL: sqs.queueUrl('bench-fanout'),
  SQS_ENDPOINT: sqs.endpoint,
  SQS_COALESCE_MS: process.env.SQS_COALESCE_MS ?? '2',
});
const base = `http://127.0.0.1:${server.port}`;
console.log(`server on ${base} (pid ${server.child.pid})`);

const exp = Math.floor(Date.now() / 1000) + 3_600;
const adminToken = await sign({ sub: 'bench-admin', role: 'admin', exp }, jwtSecret, 'HS256');
const bidderTokens = await Promise.all(
  Array.from({ length: BIDDERS }, (_, index) => sign({ sub: `bidder-${index}`, exp }, jwtSecret, 'HS256')),
);

async function createAuction(): Promise<string> {
  const response = await fetch(`${base}/auctions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({
      title: 'Bench lot',
      startingPrice: 100,
      minIncrement: 1,
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    }),
  });
  if (response.status !== 201) throw new Error(`create auction: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { auction: { id: string } }).auction.id;
}

/** Bids rise with a shared counter, so most are accepted and the hot path is the accepting one. */
function bidRequests(auctionId: string) {
  let counter = 0;
  return (request: { body?: string; headers?: Record<string, string>; path?: string }) => {
    counter += 1;
    request.path = `/auctions/${auctionId}/bids`;
    request.headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${bidderTokens[counter % BIDDERS]}`,
    };
    request.body = JSON.stringify({ amount: 100 + counter * 2 });
    return request;
  };
}

const echo = (request: { body?: string; headers?: Record<string, string> }) => {
  request.body = JSON.stringify({ amount: 1234 });
  return request;
};

console.log('warm-up');
await runLoad({
  label: 'warm-up bids',
  url: `${base}/`,
  method: 'POST',
  durationSeconds: 2,
  connections,
  setupRequest: bidRequests(await createAuction()),
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
const hotAuction = await createAuction();
const bidsMax = await runLoad({
  label: 'bids, max',
  url: `${base}/`,
  method: 'POST',
  durationSeconds: seconds,
  connections,
  setupRequest: bidRequests(hotAuction),
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
const pacedAuction = await createAuction();
const bidsPaced = await runLoad({
  label: 'bids @1000/s',
  url: `${base}/`,
  method: 'POST',
  durationSeconds: seconds,
  connections: 50,
  rate: 1_000,
  setupRequest: bidRequests(pacedAuction),
});

// Consistency check on the hot auction: the server's bidCount equals the 201s the load saw.
const finalResponse = await fetch(`${base}/auctions/${hotAuction}`);
const finalState = (await finalResponse.json()) as { auction: { bidCount: number } };
if (finalResponse.status !== 200) console.log('final read failed', finalResponse.status, finalState);
const accepted = bidsMax.statusCounts['201'] ?? 0;

await server.stop();
await sqs.stop();

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
    row(bidsMax),
    row(trivialPaced),
    row(bidsPaced),
  ]),
);
const ratio = bidsMax.requestsPerSecond / trivialMax.requestsPerSecond;
console.log(`\nbids/s vs trivial route: ${ratio.toFixed(2)} (target >= 0.30)`);
console.log(`bids/s at max: ${Math.round(bidsMax.requestsPerSecond)} (target >= 5000)`);
console.log(`bid p99 at 1000/s offered: ${bidsPaced.p99} ms (target <= 20 ms)`);
// autocannon stops counting at the deadline; up to one request per connection is still in flight.
const inFlightAtStop = finalState.auction.bidCount - accepted;
const consistent = inFlightAtStop >= 0 && inFlightAtStop <= connections;
console.log(
  `hot auction bidCount ${finalState.auction.bidCount}, 201 answers counted ${accepted} (+${inFlightAtStop} in flight at stop): ${consistent ? 'ok' : 'MISMATCH'}`,
);
const fiveXX = [bidsMax, bidsPaced].reduce(
  (sum, r) =>
    sum +
    Object.entries(r.statusCounts)
      .filter(([code]) => code.startsWith('5'))
      .reduce((s, [, n]) => s + n, 0),
  0,
);
if (fiveXX > 0 || !consistent) process.exitCode = 1;
