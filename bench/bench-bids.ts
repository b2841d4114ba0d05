/**
 * npm run bench:bids — many concurrent bids on one hot auction through the HTTP server, next to a
 * trivial route on the same server measured in the same run (this machine is shared and noisy, so
 * only the ratio and the same-run reference mean something).
 *
 * Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS (default 8), BENCH_CONNECTIONS (100),
 * SQS_COALESCE_MS (2), BENCH_SQS=inline to keep the SQS server in the load generator's process.
 */
import { startBenchServer } from './support/load.js';
import { startBenchSqs, startSqsProcess } from './support/local-sqs.js';
import {
  measureAgainstTrivial,
  printSummary,
  type RequestSetup,
  serverErrors,
  signAdminToken,
  signTokens,
} from './support/phases.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const jwtSecret = 'bench-secret-0123456789abcdef';
const BIDDERS = 2_000;

console.log(`bench:bids — ${seconds}s per phase, ${connections} connections, Redis ${redisUrl}`);
const queues = ['bench-persist', 'bench-fanout'];
const sqs = process.env.BENCH_SQS === 'inline' ? await startBenchSqs(queues) : await startSqsProcess(queues);
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

const adminToken = await signAdminToken(jwtSecret);
const bidderTokens = await signTokens(jwtSecret, 'bidder', BIDDERS);
let lastAuction = '';

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
async function hotAuction(): Promise<RequestSetup> {
  const auctionId = await createAuction();
  lastAuction = auctionId;
  let counter = 0;
  return (request) => {
    counter += 1;
    request.path = `/auctions/${auctionId}/bids`;
    request.headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${bidderTokens[counter % BIDDERS]}`,
    };
    request.body = `{"amount":${100 + counter * 2}}`;
    return request;
  };
}

const results = await measureAgainstTrivial({
  base,
  seconds,
  connections,
  label: 'bids',
  newTarget: hotAuction,
});

// The last auction (paced phase): the server's bidCount equals the 201s the load saw, give or take
// the requests still in flight when autocannon stopped counting (at most one per connection).
const finalState = (await (await fetch(`${base}/auctions/${lastAuction}`)).json()) as {
  auction: { bidCount: number };
};
const accepted = results.targetPaced.statusCounts['201'] ?? 0;
const inFlightAtStop = finalState.auction.bidCount - accepted;
const consistent = inFlightAtStop >= 0 && inFlightAtStop <= connections;

await server.stop();
await sqs.stop();

printSummary(results, 'bids', 5_000);
console.log(
  `auction bidCount ${finalState.auction.bidCount}, 201 answers counted ${accepted} (+${inFlightAtStop} in flight at stop): ${consistent ? 'ok' : 'MISMATCH'}`,
);
if (serverErrors(results.targetMax, results.targetPaced) > 0 || !consistent) process.exitCode = 1;
