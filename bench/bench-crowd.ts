/**
 * npm run bench:crowd — crowds on the broadcast channel of one auction while a bid arrives every
 * 100 ms, through the real local runtime (`npm run local` as a child process: its gateways, its
 * SQS, its function instances, its Events API stand-in), with the direct path's figures beside
 * them from the same run.
 *
 * Part 1, broadcast (runtime with BROADCAST_MIN_WATCHERS=0, every topic on its channel):
 *   1. no watchers: the bid latency reference;
 *   2. BENCH_LIBRARY (default 20) watchers made with the client library, through the WebSocket API:
 *      they get `delivery: "broadcast"`, follow the channel and must see every state once, in seq
 *      order, for the whole run; they are the realtime path's spenders of the account budget
 *      (subscribes, catch-ups);
 *   3. each count of BENCH_WATCHERS (default 1000,10000), raw channel clients added to reach it
 *      (processes of at most BENCH_PER_PROCESS sockets, each from its own 127.0.0.x).
 * Part 2, direct (a second runtime, BROADCAST_MIN_WATCHERS above the crowd): BENCH_DIRECT_WATCHERS
 *   (default 1000) WebSocket API watchers on one auction, same bids: the path this tier replaces.
 *
 * Per phase: bid p50/p99 and its ratio to the no-watcher phase of the same runtime, update latency
 * p50/p99/max (the bid's acceptance on the Redis clock -> receipt, every state received), deliveries/s,
 * watchers holding the final state, seq order at the watchers, CPU of the whole runtime per
 * delivery, memory per watcher (the watchers' processes and the runtime), and the account-budget
 * requests/s the realtime path spent (PostToConnection calls + WebSocket API messages + the
 * library's catch-up requests; channel deliveries are AppSync's, not the budget's).
 *
 * Env: BENCH_WATCHERS (1000,10000), BENCH_DIRECT_WATCHERS (1000; 0 skips part 2), BENCH_LIBRARY (20),
 *      BENCH_BID_RATE (10), BENCH_SECONDS (15), BENCH_PUBLISH_RATE and BENCH_EVENTS_PER_PUBLISH (the
 *      runtime's BROADCAST_PUBLISH_RATE and BROADCAST_EVENTS_PER_PUBLISH; unset: their defaults), BENCH_CONNECT_RATE (channel sockets/s, 2000),
 *      BENCH_PER_PROCESS (5000: each process reads on its own core; under the open-file limit of 20,000 here), REDIS_URL,
 *      BENCH_SHARDS (0: the runtime's own Events stand-in; K > 0: the stand-in spread over K
 *      processes behind one publish front, bench/support/events-shards.ts, for crowds past one
 *      process's 20,000 open files: watcher process i reads from shard i mod K, so keep
 *      ceil(N / BENCH_PER_PROCESS / K) x BENCH_PER_PROCESS under ~18,000, e.g. 100,000 watchers with
 *      BENCH_SHARDS=7 and the default 5,000 per process).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { sign } from 'hono/jwt';
import { percentile } from '../artillery/lib/samples.js';
import { machineCpuMs, processCpuMs, threadCpuMs } from '../local-aws/index.js';
import { type LocalProcess, type ReadyUrls, startLocal } from '../test/support/local-process.js';
import { atFixedPace } from '../test/support/paced.js';
import { type EventsShards, startEventsShards } from './support/events-shards.js';
import { formatTable } from './support/load.js';
import { createBenchAuction } from './support/phases.js';
import { createScratchDatabase } from './support/scratch-database.js';

const list = (value: string | undefined, fallback: string) =>
  (value ?? fallback)
    .split(',')
    .map(Number)
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
const watcherCounts = list(process.env.BENCH_WATCHERS, '1000,10000');
const directCounts = list(process.env.BENCH_DIRECT_WATCHERS, '1000');
const librarySize = Number(process.env.BENCH_LIBRARY ?? 20);
const bidRate = Number(process.env.BENCH_BID_RATE ?? 10);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const connectRate = Number(process.env.BENCH_CONNECT_RATE ?? 2_000);
const perProcess = Number(process.env.BENCH_PER_PROCESS ?? 5_000);
const publishRate = process.env.BENCH_PUBLISH_RATE;
const eventsPerPublish = process.env.BENCH_EVENTS_PER_PUBLISH;
const shardCount = Number(process.env.BENCH_SHARDS ?? 0);
const EVENTS_API_KEY = 'bench-crowd-events-key';
/**
 * As in bench:fanout: on a machine shared with other work, BENCH_NICE=-10 runs the runtime (and
 * this bidder) at that niceness and the watchers 5 above it instead of SCHED_IDLE, so the figures
 * are this system's, not the neighbours' (needs root). Unset: normal priority, watchers idle.
 */
const benchNice = process.env.BENCH_NICE === undefined ? undefined : Number(process.env.BENCH_NICE);
if (benchNice !== undefined) setPriority(benchNice);
const jwtSecret = 'bench-crowd-secret-0123456789abcdef';
const BIDDERS = 100;

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const scratch = mkdtempSync(join(tmpdir(), 'bench-crowd-'));
const scratchDatabase = await createScratchDatabase(log);
const children: ChildProcess[] = [];
let stopping = false;
let local: LocalProcess | undefined;

async function shutdown(code: number): Promise<never> {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  if (local) await stopRuntime(local);
  await scratchDatabase.drop();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));

async function stopRuntime(runtime: LocalProcess) {
  const summary = await Promise.race([
    runtime.stop().then(() => runtime.output()),
    new Promise<string>((done) => setTimeout(() => done(runtime.output()), 20_000)),
  ]);
  const lines = summary.split('\n');
  console.log(
    (process.env.BENCH_VERBOSE ? lines.slice(-40) : lines.filter((l) => l.includes('summary'))).join('\n'),
  );
}

const outdir = join(process.cwd(), '.local-build', 'bench');
mkdirSync(outdir, { recursive: true });
const workerFile = join(outdir, 'bench-crowd-worker.mjs');
const directWorkerFile = join(outdir, 'bench-fanout-worker.mjs');
const shardFile = join(outdir, 'events-shard-child.mjs');
for (const [entry, outfile] of [
  ['bench/bench-crowd-worker.ts', workerFile],
  ['bench/bench-fanout-worker.ts', directWorkerFile],
  ['bench/support/events-shard-child.ts', shardFile],
] as const) {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile,
    packages: 'external',
    logLevel: 'error',
  });
}

type Message = Record<string, unknown> & { type: string };
interface Child {
  child: ChildProcess;
  request(message: Message, reply: string): Promise<Message>;
  next(type: string): Promise<Message>;
}

/** A watcher process at idle priority (the users' devices are not the machine deciding bids). */
function startChild(file: string, role: string, env: Record<string, string>): Child {
  const child = spawn(
    '/bin/bash',
    [
      '-c',
      `ulimit -n $(ulimit -Hn); exec ${benchNice !== undefined ? `nice -n ${benchNice + 5}` : 'chrt -i 0'} "${process.execPath}" "${file}"`,
    ],
    { env: { ...process.env, ...env, BENCH_ROLE: role }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  children.push(child);
  const waiting: { type: string; resolve: (m: Message) => void }[] = [];
  child.on('message', (raw) => {
    const message = raw as Message;
    if (message.type === 'progress')
      log(`  ${role}: subscribed ${message.subscribed}, errors ${message.errors}`);
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]?.resolve(message);
  });
  child.once('exit', (code) => {
    if (!stopping) {
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

const token = (sub: string, role?: string) =>
  sign({ sub, ...(role ? { role } : {}), exp: Math.floor(Date.now() / 1000) + 3_600 }, jwtSecret, 'HS256');
const adminToken = await token('bench-admin', 'admin');
const bidderTokens = await Promise.all(Array.from({ length: BIDDERS }, (_, i) => token(`bidder-${i}`)));

const pct = (values: number[], p: number) =>
  percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Merged latency histograms of several reports: p50, p99, max. */
function latency(reports: Message[]) {
  const counts = new Map<number, number>();
  for (const report of reports)
    for (const [bucket, n] of report.counts as [number, number][])
      counts.set(bucket, (counts.get(bucket) ?? 0) + n);
  const sorted = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  const at = (p: number) => {
    let seen = 0;
    for (const [bucket, n] of sorted) {
      seen += n;
      if (seen >= Math.ceil(total * p)) return bucket;
    }
    return Number.NaN;
  };
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1)?.[0] ?? Number.NaN, samples: total };
}

/** CPU ms of the runtime's Events API thread so far (0 when the API is elsewhere). */
function eventsThreadCpu(runtime: { pid: number; threadsFile: string }): number {
  let threads: Record<string, number[]> = {};
  // The runtime rewrites the file every 500 ms (not atomically): a torn read is read again.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const file = JSON.parse(readFileSync(runtime.threadsFile, 'utf8')) as {
        threads: Record<string, number[]>;
      };
      threads = file.threads;
      break;
    } catch {
      // read again
    }
  }
  const id = threads['events-api']?.[0];
  return id ? (threadCpuMs(id, runtime.pid) ?? 0) : 0;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

interface Runtime {
  local: LocalProcess;
  urls: ReadyUrls;
  pid: number;
  threadsFile: string;
}

async function startRuntime(name: string, env: Record<string, string | undefined>): Promise<Runtime> {
  const threadsFile = join(scratch, `${name}-threads.json`);
  const runtime = startLocal(
    {
      LOCAL_DATA_DIR: join(scratch, name),
      LOCAL_THREADS_FILE: threadsFile,
      JWT_SECRET: jwtSecret,
      BID_RATE_LIMIT: '0',
      WS_CONNECTIONS_PER_IP: '0',
      // The library sample catches up through /events: not the subject of this bench's limits.
      EVENTS_READ_RATE_LIMIT: '0',
      DATABASE_URL: scratchDatabase.url,
      REDIS_URL: process.env.REDIS_URL,
      LOG_LEVEL: 'WARN',
      ...env,
    },
    { openFiles: true, ...(benchNice !== undefined ? { nice: benchNice } : {}) },
  );
  local = runtime;
  const urls = await runtime.ready.catch(async (error: Error) => {
    console.error(error.message);
    return shutdown(1);
  });
  const pid = (JSON.parse(readFileSync(threadsFile, 'utf8')) as { pid: number }).pid;
  return { local: runtime, urls, pid, threadsFile };
}

let nextAmount = 100;
async function bidPhase(base: string, auctionId: string, label: string): Promise<number[]> {
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
  });
  if (refused > 0) log(`  ${label}: ${refused} bids refused`);
  return latencies;
}

async function warmUp(base: string) {
  const warm = await createBenchAuction(base, adminToken);
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
}

const finalSeqOf = async (base: string, auctionId: string) =>
  ((await (await fetch(`${base}/auctions/${auctionId}`)).json()) as { auction: { seq: number } }).auction.seq;

/**
 * Reports until no watcher received anything for 2 s, or two publish intervals when the cap is
 * slower (at most 120 s after the bids): the last state may wait a whole window to be published.
 */
const quietMs = Math.max(2_000, publishRate ? (2 * 1_000) / Number(publishRate) + 1_000 : 0);
async function drain(all: Child[], field = 'received'): Promise<Message[]> {
  const ask = () => Promise.all(all.map((c) => c.request({ type: 'report' }, 'report')));
  const sum = (reports: Message[]) => reports.reduce((s, r) => s + Number(r[field] ?? 0), 0);
  let reports = await ask();
  const started = Date.now();
  for (let quietSince = Date.now(); Date.now() - quietSince < quietMs && Date.now() - started < 120_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await ask();
    if (sum(now) !== sum(reports)) quietSince = Date.now();
    reports = now;
  }
  return reports;
}

interface Row {
  label: string;
  watchers: number;
  bids: number[];
  baseP99: number;
  p50: number;
  p99: number;
  max: number;
  deliveriesPerSecond: number;
  atFinal: string;
  order: string;
  runtimeUsPerDelivery: number;
  memoryPerWatcher: string;
  /** CPU of the watcher processes per message received (the users' devices), and of the Events API's thread. */
  watcherUsPerMessage: number;
  eventsUsPerDelivery: number;
  budgetPerSecond: number;
  machineBusy: number;
}
const rows: Row[] = [];
const notes: string[] = [];

// ---------------------------------------------------------------------------------------------
// Part 1: broadcast
{
  log(
    `bench:crowd — channel watchers ${watcherCounts.join(' then ')}, ${librarySize} library watchers, ${bidRate} bids/s, ${seconds}s per phase${publishRate ? `, publish rate ${publishRate}/s` : ''}${eventsPerPublish ? `, ${eventsPerPublish} event(s) per publish` : ''}${shardCount ? `, Events API over ${shardCount} processes` : ''}`,
  );
  let shards: EventsShards | undefined;
  if (shardCount > 0) {
    shards = await startEventsShards({
      shards: shardCount,
      apiKey: EVENTS_API_KEY,
      childFile: shardFile,
      ...(benchNice !== undefined ? { nice: benchNice } : {}),
    });
    log(`Events API spread over ${shardCount} processes, publish front ${shards.httpUrl}`);
  }
  const runtime = await startRuntime('broadcast', {
    BROADCAST_MIN_WATCHERS: '0',
    ...(publishRate ? { BROADCAST_PUBLISH_RATE: publishRate } : {}),
    ...(eventsPerPublish ? { BROADCAST_EVENTS_PER_PUBLISH: eventsPerPublish } : {}),
    ...(shards
      ? {
          EVENTS_HTTP_URL: shards.httpUrl,
          EVENTS_REALTIME_URL: shards.realtimeUrls[0],
          EVENTS_HOST: shards.host,
          EVENTS_API_KEY,
        }
      : {}),
  });
  const base = runtime.urls.http;
  const realtime = (await (await fetch(`${base}/realtime`)).json()) as {
    broadcast: {
      realtimeUrl: string;
      authorization: Record<string, string>;
      channels: { auction: string };
    } | null;
  };
  if (!realtime.broadcast) {
    console.error('GET /realtime has no broadcast: the runtime serves no Events API');
    await shutdown(1);
  }
  const broadcast = realtime.broadcast as NonNullable<typeof realtime.broadcast>;
  log(`runtime ready: ${base}, events ${broadcast.realtimeUrl}`);
  await warmUp(base);
  const auctionId = await createBenchAuction(base, adminToken);
  const channel = broadcast.channels.auction.replace('{id}', auctionId);
  const runtimeRss0 = rssBytes(runtime.pid);
  log('phase: bids with no watchers');
  const baseline = await bidPhase(base, auctionId, 'no watchers');
  const baseP99 = pct(baseline, 99);
  rows.push({
    label: 'broadcast: no watchers',
    watchers: 0,
    bids: baseline,
    baseP99,
    p50: Number.NaN,
    p99: Number.NaN,
    max: Number.NaN,
    deliveriesPerSecond: 0,
    atFinal: '',
    order: '',
    runtimeUsPerDelivery: Number.NaN,
    memoryPerWatcher: '',
    watcherUsPerMessage: Number.NaN,
    eventsUsPerDelivery: Number.NaN,
    budgetPerSecond: 0,
    machineBusy: Number.NaN,
  });

  const library = startChild(workerFile, 'library', {
    BENCH_HTTP_URL: base,
    BENCH_WS_URL: runtime.urls.ws,
    BENCH_AUCTION_ID: auctionId,
  });
  await library.next('ready');
  if (librarySize > 0) await library.request({ type: 'connect', count: librarySize }, 'connected');

  const channelProcesses: Child[] = [];
  let connected = 0;
  for (const count of watcherCounts) {
    log(`connecting ${count - connected} more channel watchers (${connectRate}/s) ...`);
    const connectStart = Date.now();
    while (connected < count) {
      let current = channelProcesses.at(-1);
      let room = current ? perProcess - (current as Child & { size: number }).size : 0;
      if (!current || room <= 0) {
        current = Object.assign(
          startChild(workerFile, 'channel', {
            BENCH_REALTIME_URL: shards
              ? (shards.realtimeUrls[channelProcesses.length % shards.realtimeUrls.length] as string)
              : broadcast.realtimeUrl,
            BENCH_AUTH: JSON.stringify(broadcast.authorization),
            BENCH_CHANNEL: channel,
            BENCH_CONNECT_RATE: String(connectRate),
            BENCH_LOCAL_ADDRESS: `127.0.0.${2 + channelProcesses.length}`,
          }),
          { size: 0 },
        );
        await current.next('ready');
        channelProcesses.push(current);
        room = perProcess;
      }
      const batch = Math.min(room, count - connected);
      const done = await current.request({ type: 'connect', count: batch }, 'connected');
      (current as Child & { size: number }).size += batch;
      connected += batch;
      if (Number(done.errors) > 0) log(`  ${done.errors} errors so far in that process`);
    }
    log(`${connected} channel watchers in ${((Date.now() - connectStart) / 1000).toFixed(1)}s`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const all = [...channelProcesses, library];
    const resets = await Promise.all(all.map((c) => c.request({ type: 'reset' }, 'reset')));
    const runtimeCpuBefore = processCpuMs(runtime.pid) ?? 0;
    const eventsCpuBefore = eventsThreadCpu(runtime);
    const machineBefore = machineCpuMs();
    log(`phase: bids with ${count} channel watchers`);
    const phaseStart = Date.now();
    const bids = await bidPhase(base, auctionId, `${count} watchers`);
    await drain(channelProcesses);
    const runtimeCpuAfter = processCpuMs(runtime.pid) ?? 0;
    const eventsCpuAfter = eventsThreadCpu(runtime);
    const machineAfter = machineCpuMs();
    const finalSeq = await finalSeqOf(base, auctionId);
    // The library watchers may still be catching up: give them the same drain.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const reports = await Promise.all(
      channelProcesses.map((c) => c.request({ type: 'report', finalSeq }, 'report')),
    );
    const libraryReport = await library.request({ type: 'report', finalSeq }, 'report');
    const received = reports.reduce((s, r) => s + Number(r.received), 0);
    const activeSeconds = (Date.now() - phaseStart - 2_000) / 1000;
    const lat = latency(reports);
    const watcherRss = reports.reduce((s, r) => s + Number(r.rssBytes), 0);
    const runtimeRss = rssBytes(runtime.pid);
    // The realtime path's budget in this phase: the library watchers' catch-up requests (the raw
    // channel clients spend none: their deliveries are the Events API's, and no PostToConnection
    // is made for a broadcast topic).
    const budget = Number(libraryReport.catchUps) / (bidRate ? seconds : 1);
    rows.push({
      label: `broadcast: ${count} on the channel`,
      watchers: count,
      bids,
      baseP99,
      p50: lat.p50,
      p99: lat.p99,
      max: lat.max,
      deliveriesPerSecond: received / activeSeconds,
      atFinal: `${reports.reduce((s, r) => s + Number(r.atFinal), 0)}/${count}; library ${libraryReport.atFinal}/${libraryReport.watchers}`,
      order: `${reports.reduce((s, r) => s + Number(r.outOfOrder), 0)} older or repeated dropped, ${reports.reduce((s, r) => s + Number(r.skipped), 0)} seqs skipped; library: ${libraryReport.unordered} unordered, ${libraryReport.repeats} repeats, ${libraryReport.gaps} gaps, ${libraryReport.catchUps} catch-ups`,
      runtimeUsPerDelivery: ((runtimeCpuAfter - runtimeCpuBefore) * 1000) / Math.max(1, received),
      memoryPerWatcher: `${(watcherRss / count / 1024).toFixed(1)} KiB client, ${((runtimeRss - runtimeRss0) / count / 1024).toFixed(1)} KiB runtime`,
      watcherUsPerMessage:
        (reports.reduce((s, r, i) => s + Number(r.cpuMs) - Number(resets[i]?.cpuMs ?? 0), 0) * 1000) /
        Math.max(1, received),
      eventsUsPerDelivery: ((eventsCpuAfter - eventsCpuBefore) * 1000) / Math.max(1, received),
      budgetPerSecond: budget,
      machineBusy:
        machineBefore && machineAfter
          ? (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)
          : Number.NaN,
    });
    log(`  p50 ${lat.p50} ms, p99 ${lat.p99} ms, final ${rows.at(-1)?.atFinal}`);
  }
  stopping = true;
  for (const child of [...channelProcesses, library]) child.child.kill('SIGTERM');
  children.length = 0;
  await stopRuntime(runtime.local);
  await shards?.stop();
  local = undefined;
  stopping = false;
}

// ---------------------------------------------------------------------------------------------
// Part 2: direct, the path the broadcast tier replaces for crowds
if (directCounts.length > 0) {
  const runtime = await startRuntime('direct', {
    BROADCAST_MIN_WATCHERS: String(10 * (directCounts.at(-1) ?? 1)),
  });
  const base = runtime.urls.http;
  log(`direct runtime ready: ${base}`);
  await warmUp(base);
  const auctionId = await createBenchAuction(base, adminToken);
  const runtimeRss0 = rssBytes(runtime.pid);
  log('phase (direct): bids with no watchers');
  const baseline = await bidPhase(base, auctionId, 'no watchers');
  const baseP99 = pct(baseline, 99);
  rows.push({
    label: 'direct: no watchers',
    watchers: 0,
    bids: baseline,
    baseP99,
    p50: Number.NaN,
    p99: Number.NaN,
    max: Number.NaN,
    deliveriesPerSecond: 0,
    atFinal: '',
    order: '',
    runtimeUsPerDelivery: Number.NaN,
    memoryPerWatcher: '',
    watcherUsPerMessage: Number.NaN,
    eventsUsPerDelivery: Number.NaN,
    budgetPerSecond: 0,
    machineBusy: Number.NaN,
  });
  const watchers = startChild(directWorkerFile, 'watchers', {
    BENCH_WS_URL: runtime.urls.ws,
    BENCH_TOPIC: `auction:${auctionId}`,
    BENCH_CONNECT_RATE: '450',
  });
  await watchers.next('ready');
  let connected = 0;
  for (const count of directCounts) {
    await watchers.request({ type: 'connect', count: count - connected }, 'connected');
    connected = count;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await watchers.request({ type: 'reset' }, 'reset');
    const runtimeCpuBefore = processCpuMs(runtime.pid) ?? 0;
    const machineBefore = machineCpuMs();
    log(`phase (direct): bids with ${count} watchers`);
    const phaseStart = Date.now();
    const bids = await bidPhase(base, auctionId, `${count} direct`);
    await drain([watchers]);
    const runtimeCpuAfter = processCpuMs(runtime.pid) ?? 0;
    const machineAfter = machineCpuMs();
    const finalSeq = await finalSeqOf(base, auctionId);
    const report = await watchers.request({ type: 'report', finalSeq }, 'report');
    const received = Number(report.received);
    const activeSeconds = (Date.now() - phaseStart - 2_000) / 1000;
    rows.push({
      label: `direct: ${count} WebSocket API watchers`,
      watchers: count,
      bids,
      baseP99,
      p50: Number(report.p50),
      p99: Number(report.p99),
      max: Number(report.max),
      deliveriesPerSecond: received / activeSeconds,
      atFinal: `${report.atFinal}/${count}`,
      order: `${report.outOfOrder} out of order`,
      runtimeUsPerDelivery: ((runtimeCpuAfter - runtimeCpuBefore) * 1000) / Math.max(1, received),
      memoryPerWatcher: `${((rssBytes(runtime.pid) - runtimeRss0) / count / 1024).toFixed(1)} KiB runtime`,
      watcherUsPerMessage: Number.NaN,
      eventsUsPerDelivery: Number.NaN,
      // Every delivery is one PostToConnection of the account's budget.
      budgetPerSecond: received / seconds,
      machineBusy:
        machineBefore && machineAfter
          ? (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)
          : Number.NaN,
    });
  }
  stopping = true;
  watchers.child.kill('SIGTERM');
  children.length = 0;
  await stopRuntime(runtime.local);
  local = undefined;
}

const us = (value: number) => (Number.isNaN(value) ? '' : `${value.toFixed(0)} us`);
console.log(
  "\n=== bench:crowd summary (through npm run local; bid p99 ratio is against the same runtime's no-watcher phase) ===",
);
console.log(
  formatTable([
    [
      'phase',
      'bid p50',
      'bid p99',
      'bid p99 ratio',
      'update p50',
      'update p99',
      'update max',
      'deliveries/s',
      'runtime CPU/delivery',
      'of it Events thread',
      'watcher CPU/msg',
      'budget req/s',
      'machine busy',
    ],
    ...rows.map((r) => [
      r.label,
      ms(pct(r.bids, 50)),
      ms(pct(r.bids, 99)),
      `${(pct(r.bids, 99) / r.baseP99).toFixed(2)}x`,
      Number.isNaN(r.p50) ? '' : `${r.p50} ms`,
      Number.isNaN(r.p99) ? '' : `${r.p99} ms`,
      Number.isNaN(r.max) ? '' : `${r.max} ms`,
      r.deliveriesPerSecond ? r.deliveriesPerSecond.toFixed(0) : '',
      us(r.runtimeUsPerDelivery),
      us(r.eventsUsPerDelivery),
      us(r.watcherUsPerMessage),
      r.watchers ? r.budgetPerSecond.toFixed(1) : '',
      Number.isNaN(r.machineBusy) ? '' : `${(r.machineBusy * 100).toFixed(0)}%`,
    ]),
  ]),
);
for (const r of rows.filter((row) => row.watchers > 0)) {
  console.log(
    `${r.label}: final state ${r.atFinal}; order: ${r.order}; memory per watcher ${r.memoryPerWatcher}`,
  );
}
for (const note of notes) console.log(note);
await shutdown(0);
