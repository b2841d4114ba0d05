/**
 * npm run bench:fanout — N WebSocket watchers on one auction while bids arrive.
 *
 * Prints deliveries/s and update-to-watcher latency (p50/p99: from the bid's acceptance on the Redis
 * clock to the watcher's receipt, same machine clock), next to the bid latency with no watchers
 * measured in the same run at the same bid rate (it must not get worse by more than 10%).
 *
 * Processes (this machine has 2 cores shared by everything):
 *   this one    orchestrator, bidder (HTTP client), SQS-protocol server (local-aws-sqs)
 *   http        the HTTP app as in the Lambda (bench/support/bench-http-server.ts)
 *   gateway     local WebSocket gateway + ws handler       (stands for API Gateway + the ws Lambda)
 *   fanout      fanout-queue pollers + fan-out handler     (stand for concurrent fan-out invocations)
 *   watchers    N `ws` clients                             (stand for the users' devices)
 * The last three run under SCHED_IDLE (`chrt -i 0`; BENCH_SCHED=nice for nice +BENCH_NICE instead):
 * on AWS they run on other machines than the bid path, so here they only get the CPU the bid path
 * (HTTP process, Redis, SQS) leaves; Redis and SQS remain shared, as on AWS. Nice +10 still left
 * them a tenth of the CPU's weight each, which showed in the bid latency.
 *
 * Env: BENCH_WATCHERS (10000), BENCH_BID_RATE (bids/s, 50: 500 bids a phase, so p99 is not one sample), BENCH_SECONDS (per phase, 10),
 *      BENCH_SCHED (idle | nice, default idle), BENCH_NICE (with BENCH_SCHED=nice, 10),
 *      REDIS_URL (redis://127.0.0.1:6379), FANOUT_CONCURRENCY (200), FANOUT_PART_SIZE (1000),
 *      BENCH_FANOUT_PROCESSES (fan-out pollers, 1: on 2 cores a second one only splits the
 *      conflation of one hot topic between two pollers). `--watchers=N` overrides.
 */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { percentile } from '../artillery/lib/samples.js';
import { formatTable, startBenchServer } from './support/load.js';
import { startBenchSqs } from './support/local-sqs.js';
import { createBenchAuction, signAdminToken, signTokens } from './support/phases.js';

const argWatchers = process.argv.find((arg) => arg.startsWith('--watchers='))?.split('=')[1];
const watchers = Number(argWatchers ?? process.env.BENCH_WATCHERS ?? 10_000);
const bidRate = Number(process.env.BENCH_BID_RATE ?? 50);
const schedIdle = (process.env.BENCH_SCHED ?? 'idle') === 'idle';
const niceness = schedIdle ? 0 : Number(process.env.BENCH_NICE ?? 10);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const concurrency = process.env.FANOUT_CONCURRENCY ?? '200';
const fanoutProcesses = Number(process.env.BENCH_FANOUT_PROCESSES ?? 1);
const jwtSecret = 'bench-secret-0123456789abcdef';
const BIDDERS = 100;

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

// File descriptors: the gateway holds N sockets and the watchers N more, in two processes; each
// child raises its soft limit to the hard one (`ulimit -n` in the shell that starts it).
const hardLimit = Number(execSync('ulimit -Hn', { shell: '/bin/bash' }).toString().trim()) || 0;
const softLimit = Number(execSync('ulimit -Sn', { shell: '/bin/bash' }).toString().trim()) || 0;
log(
  `bench:fanout — ${watchers} watchers, ${bidRate} bids/s, ${seconds}s per phase, Redis ${redisUrl}, gateway/fan-out/watchers ${schedIdle ? 'SCHED_IDLE' : `nice +${niceness}`}`,
);
log(`open files: soft ${softLimit}, hard ${hardLimit} (children raise soft to hard)`);
if (hardLimit && watchers + 1_000 > hardLimit) {
  console.error(`ulimit -Hn ${hardLimit} is too low for ${watchers} watchers in one process`);
  process.exit(1);
}

const children: ChildProcess[] = [];
const sqs = await startBenchSqs(['bench-persist', 'bench-fanout']);
const baseEnv = {
  REDIS_URL: redisUrl,
  JWT_SECRET: jwtSecret,
  WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
  PERSIST_QUEUE_URL: sqs.queueUrl('bench-persist'),
  FANOUT_QUEUE_URL: sqs.queueUrl('bench-fanout'),
  SQS_ENDPOINT: sqs.endpoint,
  BID_RATE_LIMIT: '0',
  FANOUT_CONCURRENCY: concurrency,
  POWERTOOLS_METRICS_DISABLED: 'true',
  NODE_NO_WARNINGS: '1',
};
const server = await startBenchServer(baseEnv);
children.push(server.child);
const base = `http://127.0.0.1:${server.port}`;
log(`http on ${base} (pid ${server.child.pid})`);

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
  loader: { '.lua': 'text' },
  logLevel: 'error',
});

type Message = Record<string, unknown> & { type: string };
interface Worker {
  child: ChildProcess;
  request(message: Message, reply: string): Promise<Message>;
  next(type: string): Promise<Message>;
}

function startWorker(role: string, env: Record<string, string>, onProgress?: (m: Message) => void): Worker {
  const child = spawn(
    '/bin/bash',
    [
      '-c',
      `ulimit -n $(ulimit -Hn); exec ${schedIdle ? 'chrt -i 0 ' : ''}"${process.execPath}" "${workerFile}"`,
    ],
    {
      env: { ...process.env, ...baseEnv, ...env, BENCH_ROLE: role },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  children.push(child);
  child.once('spawn', () => {
    try {
      if (niceness !== 0) setPriority(child.pid as number, niceness);
    } catch {
      // not permitted: the run stays valid, only noisier
    }
  });
  const waiting: { type: string; resolve: (m: Message) => void }[] = [];
  child.on('message', (raw) => {
    const message = raw as Message;
    if (message.type === 'progress') onProgress?.(message);
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

let stopping = false;
async function shutdown(code: number) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await sqs.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));

const gateway = startWorker('gateway', {});
const ready = await gateway.next('ready');
log(`gateway on ${ready.url} (pid ${gateway.child.pid})`);
const fanouts = Array.from({ length: fanoutProcesses }, () =>
  startWorker('fanout', { WS_MANAGEMENT_ENDPOINT: ready.managementEndpoint as string }),
);
await Promise.all(fanouts.map((fanout) => fanout.next('ready')));
log(
  `${fanoutProcesses} fan-out poller(s) ready (pids ${fanouts.map((f) => f.child.pid).join(', ')}, concurrency ${concurrency} each)`,
);

/** The fan-out pollers' reports, summed: they stand for concurrent invocations of one function. */
async function fanoutReport(): Promise<Message> {
  const reports = await Promise.all(fanouts.map((fanout) => fanout.request({ type: 'report' }, 'report')));
  const counts: Record<string, number> = {};
  for (const report of reports) {
    for (const [name, value] of Object.entries(report.counts as Record<string, number>)) {
      counts[name] = (counts[name] ?? 0) + value;
    }
  }
  const sum = (field: string) => reports.reduce((total, report) => total + (report[field] as number), 0);
  return {
    type: 'report',
    counts,
    invocations: sum('invocations'),
    busyMs: sum('busyMs'),
    cpuMs: sum('cpuMs'),
  };
}

const adminToken = await signAdminToken(jwtSecret);
const bidderTokens = await signTokens(jwtSecret, 'bidder', BIDDERS);

const createAuction = () => createBenchAuction(base, adminToken);

/** Sequential bids at a fixed rate; returns each accepted bid's latency in ms. */
async function bidPhase(auctionId: string, label: string): Promise<number[]> {
  const latencies: number[] = [];
  const interval = 1_000 / bidRate;
  const start = performance.now();
  const total = Math.round(bidRate * seconds);
  let refused = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t = performance.now();
    const response = await fetch(`${base}/auctions/${auctionId}/bids`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bidderTokens[i % BIDDERS]}` },
      body: JSON.stringify({ amount: 100 + i }),
    });
    await response.arrayBuffer();
    if (response.status === 201) latencies.push(performance.now() - t);
    else refused++;
    if ((i + 1) % (bidRate * 2) === 0) log(`  ${label}: ${i + 1}/${total} bids`);
  }
  if (refused > 0) log(`  ${label}: ${refused} bids refused`);
  return latencies;
}

const pct = (values: number[], p: number) =>
  percentile(
    [...values].sort((a, b) => a - b),
    p * 100,
  );
const ms = (value: number) => `${value.toFixed(1)} ms`;

// Warm-up, then phase 1: no watchers.
const warm = await createAuction();
for (let i = 0; i < 50; i++) {
  await fetch(`${base}/auctions/${warm}/bids`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bidderTokens[i % BIDDERS]}` },
    body: JSON.stringify({ amount: 100 + i }),
  }).then((r) => r.arrayBuffer());
}
log('phase 1: bids with no watchers');
const baseline = await bidPhase(await createAuction(), 'no watchers');

// Phase 2: N watchers on one auction.
const auctionId = await createAuction();
log(`connecting ${watchers} watchers to auction:${auctionId} ...`);
const connectStart = Date.now();
const watcherProcess = startWorker(
  'watchers',
  {
    BENCH_WS_URL: ready.url as string,
    BENCH_TOPIC: `auction:${auctionId}`,
    BENCH_WATCHERS: String(watchers),
  },
  (m) => log(`  subscribed ${m.subscribed}/${watchers}${m.errors ? `, ${m.errors} errors` : ''}`),
);
const connected = await watcherProcess.next('ready');
log(
  `${connected.subscribed} watchers subscribed in ${((Date.now() - connectStart) / 1000).toFixed(1)}s` +
    `${connected.errors ? `, ${connected.errors} errors` : ''}`,
);
const fanoutBeforeReport = await fanoutReport();
const fanoutBefore = fanoutBeforeReport.counts as Record<string, number>;
const gatewayBefore = await gateway.request({ type: 'report' }, 'report');
const watchersBefore = await watcherProcess.request({ type: 'reset' }, 'reset');
log(`phase 2: bids with ${watchers} watchers`);
const phaseStart = Date.now();
const loaded = await bidPhase(auctionId, `${watchers} watchers`);
const bidsEnd = Date.now();
// Drain: wait until deliveries stop (no new message for 2 s, at most 120 s), so waves still running
// when the bids end are counted whole.
let report = await watcherProcess.request({ type: 'report' }, 'report');
for (let quietSince = Date.now(); Date.now() - quietSince < 2_000 && Date.now() - bidsEnd < 120_000; ) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  const now = await watcherProcess.request({ type: 'report' }, 'report');
  if (now.received !== report.received) {
    quietSince = Date.now();
    log(`  draining: ${now.received} messages received`);
  }
  report = now;
}
const phaseSeconds = (Date.now() - phaseStart - 2_000) / 1000;
const fanoutAfterReport = await fanoutReport();
const fanoutAfter = fanoutAfterReport.counts as Record<string, number>;
const gatewayAfter = await gateway.request({ type: 'report' }, 'report');
const cpuPer1000 = (before: Message, after: Message, deliveries: number) =>
  deliveries > 0 ? ms((((after.cpuMs as number) - (before.cpuMs as number)) / deliveries) * 1_000) : '-';
const invocations = (fanoutAfterReport.invocations as number) - (fanoutBeforeReport.invocations as number);
const busyMs = (fanoutAfterReport.busyMs as number) - (fanoutBeforeReport.busyMs as number);
const delta = (name: string) => (fanoutAfter[name] ?? 0) - (fanoutBefore[name] ?? 0);

const received = report.received as number;
const baseP50 = pct(baseline, 0.5);
const baseP99 = pct(baseline, 0.99);
const loadP50 = pct(loaded, 0.5);
const loadP99 = pct(loaded, 0.99);
const within = (a: number, b: number) => a <= b * 1.1;
console.log('\n=== bench:fanout summary ===');
console.log(
  formatTable([
    ['', 'no watchers', `${watchers} watchers`, 'change'],
    ['bids accepted', String(baseline.length), String(loaded.length), ''],
    ['bid latency p50', ms(baseP50), ms(loadP50), `${((loadP50 / baseP50 - 1) * 100).toFixed(1)}%`],
    ['bid latency p99', ms(baseP99), ms(loadP99), `${((loadP99 / baseP99 - 1) * 100).toFixed(1)}%`],
  ]),
);
console.log('');
console.log(
  formatTable([
    ['fan-out', ''],
    ['waves (pushes of one state to all watchers)', String(delta('waves'))],
    [
      'mean wave duration (fan-out busy time / waves)',
      delta('waves') > 0 ? ms(busyMs / delta('waves')) : '-',
    ],
    ['fan-out invocations (batches), over all pollers', String(invocations)],
    ['wave parts (waves past FANOUT_PART_SIZE are split)', String(delta('parts'))],
    ['events conflated away / stale', `${delta('conflated')} / ${delta('stale')}`],
    [
      'PostToConnection delivered / gone / failed',
      `${delta('delivered')} / ${delta('gone')} / ${delta('failed')}`,
    ],
    ['messages received by watchers', String(received)],
    ['deliveries/s', (received / phaseSeconds).toFixed(0)],
    ['update-to-watcher latency p50', `${report.p50} ms`],
    ['update-to-watcher latency p99', `${report.p99} ms`],
    ['update-to-watcher latency max', `${report.max} ms`],
    ['seq out of order at a watcher', String(report.outOfOrder)],
    [
      'CPU per 1000 deliveries: fan-out processes',
      cpuPer1000(fanoutBeforeReport, fanoutAfterReport, received),
    ],
    ['CPU per 1000 deliveries: gateway process', cpuPer1000(gatewayBefore, gatewayAfter, received)],
    ['CPU per 1000 deliveries: watchers process', cpuPer1000(watchersBefore, report, received)],
    ['watchers still connected', `${report.open}/${watchers}`],
  ]),
);
const latencyOk = (report.p99 as number) <= 1_000;
const bidOk = within(loadP99, baseP99) && within(loadP50, baseP50);
console.log('');
console.log(`target p99 update-to-watcher <= 1000 ms: ${latencyOk ? 'met' : 'NOT met'} (${report.p99} ms)`);
console.log(
  `bid latency with watchers within 10% of without: ${bidOk ? 'yes' : 'NO'} (p50 ${ms(baseP50)} -> ${ms(loadP50)}, p99 ${ms(baseP99)} -> ${ms(loadP99)})`,
);
await shutdown(0);
