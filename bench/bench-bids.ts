/**
 * npm run bench:bids — many concurrent bids on one hot auction through the HTTP server, next to a
 * trivial route on the same server measured in the same run (this machine is shared and noisy, so
 * only the ratio and the same-run reference mean something).
 *
 * Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS (default 8), BENCH_CONNECTIONS (100),
 * SQS_COALESCE_MS (2), BENCH_SQS=inline to keep the SQS server in the load generator's process.
 */
import {
  BENCH_JWT_SECRET,
  createBenchAuction,
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
const BIDDERS = 2_000;

console.log(`bench:bids — ${seconds}s per phase, ${connections} connections, Redis ${redisUrl}`);
const stack = await startBenchStack('bench');
const { base } = stack;

const adminToken = await signAdminToken(BENCH_JWT_SECRET);
const bidderTokens = await signTokens(BENCH_JWT_SECRET, 'bidder', BIDDERS);
let lastAuction = '';

/** Bids rise with a shared counter, so most are accepted and the hot path is the accepting one. */
async function hotAuction(): Promise<RequestSetup> {
  const auctionId = await createBenchAuction(base, adminToken);
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
  serverCpuSeconds: stack.cpuSeconds,
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

await stack.stop();

printSummary(results, 'bids', 5_000);
console.log(
  `auction bidCount ${finalState.auction.bidCount}, 201 answers counted ${accepted} (+${inFlightAtStop} in flight at stop): ${consistent ? 'ok' : 'MISMATCH'}`,
);
if (serverErrors(results.targetMax, results.targetPaced) > 0 || !consistent) process.exitCode = 1;
