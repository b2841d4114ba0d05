/**
 * npm run bench:fanout — crowds of WebSocket watchers on one auction while bids arrive, through
 * the real local runtime (`npm run local` as a child process: its gateways, its SQS, its function
 * instances on their own threads), as a user would try it.
 *
 * One run, one auction, phases at the same bid rate (default a bid every 100 ms):
 *   1. no watchers: the bid latency reference;
 *   2. each count of BENCH_WATCHERS (default 1000,10000), watchers added to reach it.
 * Per phase: bid p50/p99, update-to-watcher latency p50/p99 (from the bid's acceptance on the Redis
 * clock to the watcher's receipt, same machine clock), deliveries/s, how many watchers hold the
 * final state with seqs strictly increasing, and CPU per delivery of the fan-out function's threads
 * and of the gateway's thread (read from /proc per thread). Last, the reference for the fan-out's
 * CPU: raw keep-alive POSTs of the same body to the same management endpoint, nothing else.
 *
 * The watchers run in their own process under SCHED_IDLE: they stand for the users' devices, which
 * on AWS are not the machine that decides bids. The runtime itself runs at normal priority.
 *
 * Env: BENCH_NICE (see below), BENCH_WATCHERS (1000,10000), BENCH_BID_RATE (bids/s, 10), BENCH_SECONDS (per phase, 20),
 *      BENCH_CONNECT_RATE (new connections/s, 450: the gateway refuses above 500/s as AWS does),
 *      REDIS_URL (else the runtime starts a private redis-server), BENCH_DATABASE_URL (server to
 *      create a scratch database on; postgres://postgres@127.0.0.1:5432/postgres).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { sign } from 'hono/jwt';
import { percentile } from '../artillery/lib/samples.js';
import { machineCpuMs, processCpuMs, threadCpuMs } from '../local-aws/index.js';
import { startLocal } from '../test/support/local-process.js';
import { atFixedPace } from '../test/support/paced.js';
import { formatTable } from './support/load.js';
import { createBenchAuction } from './support/phases.js';
import { createScratchDatabase } from './support/scratch-database.js';

const watcherCounts = (process.env.BENCH_WATCHERS ?? '1000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const bidRate = Number(process.env.BENCH_BID_RATE ?? 10);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const connectRate = Number(process.env.BENCH_CONNECT_RATE ?? 450);
const jwtSecret = 'bench-fanout-secret-0123456789abcdef';
/**
 * On a machine shared with other work, BENCH_NICE=-10 runs the runtime (and this bidder) at that
 * niceness and the watchers 5 above it instead of SCHED_IDLE, so the figures are this system's, not
 * the neighbours' (needs root). Unset: normal priority, watchers under SCHED_IDLE.
 */
const benchNice = process.env.BENCH_NICE === undefined ? undefined : Number(process.env.BENCH_NICE);
if (benchNice !== undefined) setPriority(benchNice);
const BIDDERS = 100;

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const children: ChildProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'bench-fanout-'));

// A scratch database, dropped at the end (the runtime embeds PostgreSQL when none answers).
const scratchDatabase = await createScratchDatabase(log);
const databaseUrl = scratchDatabase.url;

log(
  `bench:fanout — watchers ${watcherCounts.join(' then ')}, ${bidRate} bids/s, ${seconds}s per phase, through npm run local`,
);
const threadsFile = join(scratch, 'threads.json');
const local = startLocal(
  {
    LOCAL_DATA_DIR: scratch,
    LOCAL_THREADS_FILE: threadsFile,
    JWT_SECRET: jwtSecret,
    BID_RATE_LIMIT: '0',
    // Every watcher connects from 127.0.0.1: no per-address cap in the bench.
    WS_CONNECTIONS_PER_IP: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL,
    LOG_LEVEL: 'WARN',
  },
  { openFiles: true, ...(benchNice !== undefined ? { nice: benchNice } : {}) },
);
let stopping = false;
async function shutdown(code: number): Promise<never> {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  const summary = await Promise.race([
    local.stop().then(() => local.output()),
    new Promise<string>((done) => setTimeout(() => done(local.output()), 20_000)),
  ]);
  if (code !== 0 || process.env.BENCH_VERBOSE) console.log(summary.split('\n').slice(-40).join('\n'));
  else
    console.log(
      summary
        .split('\n')
        .filter((line) => line.includes('[local] summary'))
        .join('\n'),
    );
  await scratchDatabase.drop();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
const urls = await local.ready.catch(async (error: Error) => {
  console.error(error.message);
  return shutdown(1);
});
log(`runtime ready: ${urls.http}, ${urls.ws}`);
const base = urls.http;
const managementEndpoint = urls.management.replace(/\/@connections$/, '');

// The watcher and floor processes, bundled like the Lambdas.
const outdir = join(process.cwd(), '.local-build', 'bench');
mkdirSync(outdir, { recursive: true });
const workerFile = join(outdir, 'bench-fanout-worker.mjs');
await build({
  entryPoints: ['bench/bench-fanout-worker.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: workerFile,
  packages: 'external',
  logLevel: 'error',
});

type Message = Record<string, unknown> & { type: string };
interface Child {
  child: ChildProcess;
  request(message: Message, reply: string): Promise<Message>;
  next(type: string): Promise<Message>;
}

function startChild(
  role: string,
  env: Record<string, string>,
  idle: boolean,
  onProgress?: (m: Message) => void,
): Child {
  const child = spawn(
    '/bin/bash',
    [
      '-c',
      `ulimit -n $(ulimit -Hn); exec ${idle ? (benchNice !== undefined ? `nice -n ${benchNice + 5} ` : 'chrt -i 0 ') : ''}"${process.execPath}" "${workerFile}"`,
    ],
    { env: { ...process.env, ...env, BENCH_ROLE: role }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  children.push(child);
  const waiting: { type: string; resolve: (m: Message) => void }[] = [];
  child.on('message', (raw) => {
    const message = raw as Message;
    if (message.type === 'progress') onProgress?.(message);
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]?.resolve(message);
  });
  child.once('exit', (code) => {
    if (!stopping && role !== 'floor') {
      console.error(`${role} exited with ${code}`);
      void shutdown(1);
    }
  });
  const next = (type: string) => new Promise<Message>((resolve) => waiting.push({ type, resolve }));
  return {
    child,
    next,
    request: (message, reply) => {
      const answer = next(reply);
      child.send(message);
      return answer;
    },
  };
}

/** CPU ms used so far by each of the runtime's threads, by group (LOCAL_THREADS_FILE). */
/** The pid of `npm run local`'s node process (its threads file says). */
function runtimePid(): number {
  return (JSON.parse(readFileSync(threadsFile, 'utf8')) as { pid: number }).pid;
}

function runtimeCpu(): Record<string, Map<number, number>> {
  const { pid, threads } = JSON.parse(readFileSync(threadsFile, 'utf8')) as {
    pid: number;
    threads: Record<string, number[]>;
  };
  const cpu: Record<string, Map<number, number>> = {};
  for (const [name, ids] of Object.entries(threads)) {
    cpu[name] = new Map(ids.map((id) => [id, threadCpuMs(id, pid) ?? 0]));
  }
  return cpu;
}
/**
 * CPU ms a group's threads used between two readings; a thread that started in between counts from
 * zero. A thread that ended in between (an instance replaced after a timeout) is not counted.
 */
function cpuDelta(
  before: Record<string, Map<number, number>>,
  after: Record<string, Map<number, number>>,
  name: string,
) {
  let total = 0;
  for (const [id, used] of after[name] ?? []) total += used - (before[name]?.get(id) ?? 0);
  return total;
}

const token = (sub: string, role?: string) =>
  sign({ sub, ...(role ? { role } : {}), exp: Math.floor(Date.now() / 1000) + 3_600 }, jwtSecret, 'HS256');
const adminToken = await token('bench-admin', 'admin');
const bidderTokens = await Promise.all(Array.from({ length: BIDDERS }, (_, i) => token(`bidder-${i}`)));

const createAuction = () => createBenchAuction(base, adminToken);

let nextAmount = 100;
/** Bids at a fixed rate (due times, latency from the due time); each accepted bid's latency in ms. */
async function bidPhase(auctionId: string, label: string): Promise<number[]> {
  const latencies: number[] = [];
  const total = Math.round(bidRate * seconds);
  let refused = 0;
  await atFixedPace({ total, perSecond: bidRate }, async (i, dueAt) => {
    const response = await fetch(`${base}/auctions/${auctionId}/bids`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bidderTokens[i % BIDDERS]}` },
      body: JSON.stringify({ amount: nextAmount++ }),
    });
    await response.arrayBuffer();
    if (response.status === 201) latencies.push(performance.now() - dueAt);
    else refused++;
    if ((i + 1) % (bidRate * 5) === 0) log(`  ${label}: ${i + 1}/${total} bids`);
  });
  if (refused > 0) log(`  ${label}: ${refused} bids refused`);
  return latencies;
}

const pct = (values: number[], p: number) =>
  percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
const ms = (value: number) => `${value.toFixed(1)} ms`;
const us = (value: number) => `${value.toFixed(0)} us`;

// Warm-up (cold starts of the http instances, JIT), then the reference phase.
const warm = await createAuction();
await Promise.all(
  Array.from({ length: 4 }, async (_, lane) => {
    for (let i = 0; i < 25; i++) {
      await fetch(`${base}/auctions/${warm}/bids`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bidderTokens[lane]}` },
        body: JSON.stringify({ amount: 1_000 + i * 4 + lane }),
      }).then((r) => r.arrayBuffer());
    }
  }),
);
const auctionId = await createAuction();
log('phase: bids with no watchers');
const cpu0 = runtimeCpu();
const baseline = await bidPhase(auctionId, 'no watchers');
const cpu1 = runtimeCpu();
const httpCpuPerBidBase = (cpuDelta(cpu0, cpu1, 'http') * 1000) / Math.max(1, baseline.length);

const watcherProcess = startChild(
  'watchers',
  { BENCH_WS_URL: urls.ws, BENCH_TOPIC: `auction:${auctionId}`, BENCH_CONNECT_RATE: String(connectRate) },
  true,
  (m) => log(`  subscribed ${m.subscribed}${m.errors ? `, ${m.errors} errors` : ''}`),
);
await watcherProcess.next('ready');

interface PhaseResult {
  watchers: number;
  bids: number[];
  report: Message;
  deliveriesPerSecond: number;
  fanoutUsPerDelivery: number;
  gatewayUsPerDelivery: number;
  httpUsPerBid: number;
  /** Every thread of `npm run local` (functions, gateways, SQS, main), per delivered message. */
  runtimeUsPerDelivery: number;
  /** The watchers' process (the users' devices), per message received. */
  watchersUsPerMessage: number;
  /** Share of both cores busy during the phase, whoever used them. */
  machineBusy: number;
  finalSeq: number;
}
const results: PhaseResult[] = [];
let connected = 0;
for (const count of watcherCounts) {
  log(`connecting ${count - connected} more watchers (${connectRate}/s) ...`);
  const connectStart = Date.now();
  const done = await watcherProcess.request({ type: 'connect', count: count - connected }, 'connected');
  connected = count;
  log(
    `${done.subscribed} watchers subscribed in ${((Date.now() - connectStart) / 1000).toFixed(1)}s${done.errors ? `, ${done.errors} errors` : ''}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const reset = await watcherProcess.request({ type: 'reset' }, 'reset');
  const before = runtimeCpu();
  const runtimeBefore = processCpuMs(runtimePid()) ?? 0;
  const machineBefore = machineCpuMs();
  log(`phase: bids with ${count} watchers`);
  const phaseStart = Date.now();
  const bids = await bidPhase(auctionId, `${count} watchers`);
  const bidsEnd = Date.now();
  // Drain: until deliveries stop (no new message for 2 s, at most 120 s).
  let report = await watcherProcess.request({ type: 'report' }, 'report');
  for (let quietSince = Date.now(); Date.now() - quietSince < 2_000 && Date.now() - bidsEnd < 120_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await watcherProcess.request({ type: 'report' }, 'report');
    if (now.received !== report.received) quietSince = Date.now();
    report = now;
  }
  const after = runtimeCpu();
  const runtimeAfter = processCpuMs(runtimePid()) ?? 0;
  const machineAfter = machineCpuMs();
  const auction = (await (await fetch(`${base}/auctions/${auctionId}`)).json()) as {
    auction: { seq: number };
  };
  const finalSeq = auction.auction.seq;
  report = await watcherProcess.request({ type: 'report', finalSeq }, 'report');
  const received = report.received as number;
  const activeSeconds = (Date.now() - phaseStart - 2_000) / 1000;
  results.push({
    watchers: count,
    bids,
    report,
    deliveriesPerSecond: received / activeSeconds,
    fanoutUsPerDelivery: (cpuDelta(before, after, 'fanout') * 1000) / Math.max(1, received),
    gatewayUsPerDelivery: (cpuDelta(before, after, 'ws-gateway') * 1000) / Math.max(1, received),
    httpUsPerBid: (cpuDelta(before, after, 'http') * 1000) / Math.max(1, bids.length),
    runtimeUsPerDelivery: ((runtimeAfter - runtimeBefore) * 1000) / Math.max(1, received),
    watchersUsPerMessage:
      (((report.cpuMs as number) - (reset.cpuMs as number)) * 1000) / Math.max(1, received),
    machineBusy:
      machineBefore && machineAfter
        ? (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)
        : Number.NaN,
    finalSeq,
  });
}

// The reference for the fan-out's CPU: raw keep-alive POSTs, same body size, same endpoint.
const sampleBody = JSON.stringify({
  type: 'auction.updated',
  topic: `auction:${auctionId}`,
  seq: 1,
  auction: (await (await fetch(`${base}/auctions/${auctionId}`)).json()) as unknown,
});
const floorCpuBefore = runtimeCpu();
const floorChild = startChild(
  'floor',
  { BENCH_MANAGEMENT_ENDPOINT: managementEndpoint, BENCH_FLOOR_BODY: sampleBody, BENCH_FLOOR_POSTS: '20000' },
  false,
);
const floor = await floorChild.next('floor');
const floorUs = ((floor.cpuMs as number) * 1000) / (floor.posts as number);
// The gateway's side of the same raw POSTs: parsed, refused unsigned (403), answered. Its floor of
// one management request, next to what it spends per delivery (the signature checked, the frame sent).
// The warm-up posts fall in the window as well: counted.
const floorGatewayUs =
  (cpuDelta(floorCpuBefore, runtimeCpu(), 'ws-gateway') * 1000) / ((floor.posts as number) + 200);

const baseP50 = pct(baseline, 50);
const baseP99 = pct(baseline, 99);
console.log('\n=== bench:fanout summary (through npm run local) ===');
console.log(
  formatTable([
    ['', 'no watchers', ...results.map((r) => `${r.watchers} watchers`)],
    ['bids accepted', String(baseline.length), ...results.map((r) => String(r.bids.length))],
    ['bid p50', ms(baseP50), ...results.map((r) => ms(pct(r.bids, 50)))],
    ['bid p99', ms(baseP99), ...results.map((r) => ms(pct(r.bids, 99)))],
    [
      'bid p99 / no-watcher p99',
      '1.00x',
      ...results.map((r) => `${(pct(r.bids, 99) / baseP99).toFixed(2)}x`),
    ],
    ['http function CPU per bid', us(httpCpuPerBidBase), ...results.map((r) => us(r.httpUsPerBid))],
    ['update-to-watcher p50', '', ...results.map((r) => `${r.report.p50} ms`)],
    ['update-to-watcher p99', '', ...results.map((r) => `${r.report.p99} ms`)],
    ['update-to-watcher max', '', ...results.map((r) => `${r.report.max} ms`)],
    ['waves (seqs pushed)', '', ...results.map((r) => String(r.report.waves))],
    [
      'wave start after the bid p50 / p99',
      '',
      ...results.map((r) => `${r.report.waveStartP50} / ${r.report.waveStartP99} ms`),
    ],
    [
      'wave first to last watcher p50 / p99',
      '',
      ...results.map((r) => `${r.report.waveSpreadP50} / ${r.report.waveSpreadP99} ms`),
    ],
    ['messages received by watchers', '', ...results.map((r) => String(r.report.received))],
    ['deliveries/s', '', ...results.map((r) => r.deliveriesPerSecond.toFixed(0))],
    [
      'watchers holding the final state',
      '',
      ...results.map((r) => `${r.report.atFinal}/${r.watchers} (seq ${r.finalSeq})`),
    ],
    ['seq not increasing at a watcher', '', ...results.map((r) => String(r.report.outOfOrder))],
    ['fan-out CPU per delivery', '', ...results.map((r) => us(r.fanoutUsPerDelivery))],
    ['gateway thread CPU per delivery', '', ...results.map((r) => us(r.gatewayUsPerDelivery))],
    ['whole runtime CPU per delivery', '', ...results.map((r) => us(r.runtimeUsPerDelivery))],
    ['watchers process CPU per message', '', ...results.map((r) => us(r.watchersUsPerMessage))],
    ['machine busy (both cores)', '', ...results.map((r) => `${(r.machineBusy * 100).toFixed(0)}%`)],
    ['reference: raw keep-alive POST, client CPU', us(floorUs), ...results.map(() => '')],
    ['reference: the same, gateway thread CPU (403)', us(floorGatewayUs), ...results.map(() => '')],
  ]),
);
await shutdown(0);
