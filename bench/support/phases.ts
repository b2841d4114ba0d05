import { sign } from 'hono/jwt';
import { formatTable, type LoadResult, runLoad, startBenchServer } from './load.js';
import { startBenchSqs, startSqsProcess } from './local-sqs.js';
import { runPacedLoad } from './paced-load.js';

export type RequestSetup = (request: { body?: string; headers?: Record<string, string>; path?: string }) => {
  body?: string;
  headers?: Record<string, string>;
  path?: string;
};

export interface PhaseResults {
  trivialMax: LoadResult;
  /** The trivial POST plus the two SQS sends of an event: the floor under any accepted write. */
  floorMax: LoadResult;
  targetMax: LoadResult;
  trivialPaced: LoadResult;
  targetPaced: LoadResult;
}

export interface PhaseOptions {
  base: string;
  seconds: number;
  connections: number;
  /** Name of the measured route in the output ("bids", "reservations"). */
  label: string;
  /** A fresh target (auction, product) and the request setup that hits it. */
  newTarget: () => Promise<RequestSetup>;
  /** Offered rate of the paced phases. */
  pacedRate?: number;
  /** The server's CPU seconds so far (see startBenchStack). */
  serverCpuSeconds?: () => number;
}

/** The trivial reference: a POST with a JSON body parsed and echoed by the same server. */
const echo: RequestSetup = (request) => {
  request.body = '{"amount":1234}';
  return request;
};

/**
 * The four phases every HTTP benchmark runs, after a warm-up: the trivial route and the measured
 * route as fast as the server answers, then both at a fixed offered rate (latency under a known load).
 */
export async function measureAgainstTrivial(options: PhaseOptions): Promise<PhaseResults> {
  const { base, seconds, connections, label } = options;
  const pacedRate = options.pacedRate ?? 1_000;
  const cpu = options.serverCpuSeconds ? { serverCpuSeconds: options.serverCpuSeconds } : {};
  const trivial = { url: `${base}/bench/echo`, method: 'POST' as const, setupRequest: echo, ...cpu };
  const target = async () => ({
    url: `${base}/`,
    method: 'POST' as const,
    ...cpu,
    setupRequest: await options.newTarget(),
  });
  console.log('warm-up');
  await runLoad({ label: `warm-up ${label}`, durationSeconds: 2, connections, ...(await target()) });
  await runLoad({ label: 'warm-up trivial', durationSeconds: 2, connections, ...trivial });
  console.log('measure');
  const trivialMax = await runLoad({
    label: 'trivial POST, max',
    durationSeconds: seconds,
    connections,
    ...trivial,
  });
  const floorMax = await runLoad({
    label: 'floor (POST + 2 SQS sends), max',
    durationSeconds: seconds,
    connections,
    ...trivial,
    url: `${base}/bench/publish`,
  });
  const targetMax = await runLoad({
    label: `${label}, max`,
    durationSeconds: seconds,
    connections,
    ...(await target()),
  });
  const paced = { durationSeconds: seconds, connections: Math.min(connections, 50), rate: pacedRate };
  const trivialPaced = await runPacedLoad({ label: `trivial POST @${pacedRate}/s`, ...paced, ...trivial });
  const targetPaced = await runPacedLoad({
    label: `${label} @${pacedRate}/s`,
    ...paced,
    ...(await target()),
  });
  return { trivialMax, floorMax, targetMax, trivialPaced, targetPaced };
}

export function serverErrors(...results: LoadResult[]): number {
  return results.reduce(
    (sum, result) =>
      sum +
      Object.entries(result.statusCounts)
        .filter(([code]) => code.startsWith('5'))
        .reduce((subtotal, [, count]) => subtotal + count, 0),
    0,
  );
}

/** The summary table and the figures the issue targets name. */
export function printSummary(results: PhaseResults, label: string, targetPerSecond: number): void {
  const row = (result: LoadResult) => [
    result.label,
    String(Math.round(result.requestsPerSecond)),
    result.p50.toFixed(1),
    result.p99.toFixed(1),
    Object.entries(result.statusCounts)
      .map(([code, count]) => `${code}:${count}`)
      .join(' '),
    String(result.errors),
    result.serverCpuMicros === undefined ? '-' : String(result.serverCpuMicros),
  ];
  const { trivialMax, floorMax, targetMax, trivialPaced, targetPaced } = results;
  console.log('\nsummary');
  console.log(
    formatTable([
      ['phase', 'req/s', 'p50 ms', 'p99 ms', 'statuses', 'errors', 'server CPU us/req'],
      row(trivialMax),
      row(floorMax),
      row(targetMax),
      row(trivialPaced),
      row(targetPaced),
    ]),
  );
  const ratio = targetMax.requestsPerSecond / trivialMax.requestsPerSecond;
  console.log(`\n${label}/s vs trivial route: ${ratio.toFixed(2)} (target >= 0.30)`);
  console.log(`${label}/s at max: ${Math.round(targetMax.requestsPerSecond)} (target >= ${targetPerSecond})`);
  console.log(`${label} p99 at the paced rate: ${targetPaced.p99} ms (trivial: ${trivialPaced.p99} ms)`);
  if (targetMax.serverCpuMicros !== undefined && floorMax.serverCpuMicros !== undefined) {
    const ceiling = (micros: number) => Math.round((workers() * 1e6) / micros);
    console.log(
      `server CPU per request at max: ${label} ${targetMax.serverCpuMicros} us, floor ${floorMax.serverCpuMicros} us, trivial ${trivialMax.serverCpuMicros} us` +
        ` (with ${workers()} cores for the server alone: at most ${ceiling(targetMax.serverCpuMicros)} ${label}/s, ${ceiling(floorMax.serverCpuMicros)} floor requests/s)`,
    );
  }
}

const workers = () => Number(process.env.BENCH_WORKERS ?? 2);

/** HS256 tokens for `count` users named `<prefix>-<n>`, valid for an hour. */
export function signTokens(secret: string, prefix: string, count: number): Promise<string[]> {
  const exp = Math.floor(Date.now() / 1000) + 3_600;
  return Promise.all(
    Array.from({ length: count }, (_, index) => sign({ sub: `${prefix}-${index}`, exp }, secret, 'HS256')),
  );
}

export async function signAdminToken(secret: string): Promise<string> {
  return sign(
    { sub: 'bench-admin', role: 'admin', exp: Math.floor(Date.now() / 1000) + 3_600 },
    secret,
    'HS256',
  );
}

/** An open auction made through the API, for the benchmarks that bid. */
export async function createBenchAuction(base: string, adminToken: string): Promise<string> {
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

export const BENCH_JWT_SECRET = 'bench-secret-0123456789abcdef';

/**
 * The SQS server (in its own process unless BENCH_SQS=inline: in the load generator's process it
 * competes with autocannon, and every measured request waits for it) and the HTTP server under test.
 */
export async function startBenchStack(queuePrefix: string, extraEnv: Record<string, string> = {}) {
  const queues = [`${queuePrefix}-persist`, `${queuePrefix}-fanout`];
  const sqs =
    process.env.BENCH_SQS === 'inline' ? await startBenchSqs(queues) : await startSqsProcess(queues);
  // One server process per core by default, as Lambda would run several instances (bench-http-server.ts).
  const server = await startBenchServer({
    BENCH_WORKERS: String(workers()),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: BENCH_JWT_SECRET,
    WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
    PERSIST_QUEUE_URL: sqs.queueUrl(`${queuePrefix}-persist`),
    FANOUT_QUEUE_URL: sqs.queueUrl(`${queuePrefix}-fanout`),
    SQS_ENDPOINT: sqs.endpoint,
    SQS_COALESCE_MS: process.env.SQS_COALESCE_MS ?? '2',
    ...extraEnv,
  });
  const base = `http://127.0.0.1:${server.port}`;
  console.log(
    `server on ${base} (pid ${server.child.pid}, ${workers()} worker process${workers() === 1 ? '' : 'es'})`,
  );
  return {
    base,
    cpuSeconds: server.cpuSeconds,
    stop: async () => {
      await server.stop();
      await sqs.stop();
    },
  };
}
