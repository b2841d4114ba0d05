/**
 * `npm run load:ci` / `npm run load:soak`: the Artillery scenarios of artillery/scenarios against a
 * fresh `npm run local`, then the consistency audit, then a report.
 *
 * 1. a fresh PostgreSQL database on the machine's server and a dedicated, emptied Redis database
 *    index (the sweeper must not close other runs' auctions, and the audits compare whole stores);
 *    when those do not answer, a private redis-server and an embedded PostgreSQL of its own
 *    (scripts/test-services.ts), removed at the end;
 * 2. `npm run local` on free ports with explicit JWT_SECRET / WEBHOOK_SECRET, until it prints `ready`;
 * 3. each scenario with `artillery run -e <profile>` (its `ensure` thresholds fail the run);
 * 4. waits for the queues and the outboxes to drain, then audits (artillery/lib/audit.ts) and runs
 *    `npm run audit` (Redis vs PostgreSQL) when that script exists;
 * 5. stops the runtime with SIGTERM (no message may be left in a DLQ), prints a summary table and
 *    writes artillery/reports/<run>/report.html (inline SVG charts, opens offline).
 *
 * Usage: tsx scripts/load.ts [--profile ci|soak] [--only hot-auction,flash-sale] [--keep-db]
 * Environment: LOAD_REDIS_URL (redis://127.0.0.1:6379/7; its database is FLUSHED), LOAD_DATABASE_URL
 * (server to create the database on, postgresql://postgres@127.0.0.1:5432/postgres), LOAD_REPORTS_DIR;
 * either is replaced by a private server when it does not answer.
 * Exit code 1 when a threshold, the audit, or the shutdown fails; 2 on a usage or setup error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { type AuditCheck, auditRun } from '../artillery/lib/audit.js';
import {
  type Headline,
  htmlReport,
  type RunReport,
  type ScenarioReport,
  terminalSummary,
} from '../artillery/lib/report.js';
import {
  latencyStats,
  percentile,
  readSamples,
  requestFigures,
  type WriteSample,
} from '../artillery/lib/samples.js';
import { PROJECT_ROOT } from './build-functions.js';
import { startServices, type TestServices } from './test-services.js';

const SCENARIOS = ['hot-auction', 'flash-sale', 'ws-watchers', 'mixed-day'] as const;
const PROFILES = ['ci', 'soak'] as const;
type Profile = (typeof PROFILES)[number];

function usage(message: string): never {
  console.error(
    `${message}\nusage: tsx scripts/load.ts [--profile ci|soak] [--only ${SCENARIOS.join(',')}] [--keep-db]`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
let profile: Profile = 'ci';
let only: string[] = [...SCENARIOS];
let keepDb = false;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--profile') profile = (args[++i] ?? '') as Profile;
  else if (arg === '--only') only = (args[++i] ?? '').split(',').filter(Boolean);
  else if (arg === '--keep-db') keepDb = true;
  else usage(`unknown argument ${arg}`);
}
if (!PROFILES.includes(profile)) usage(`unknown profile ${profile}`);
for (const name of only)
  if (!(SCENARIOS as readonly string[]).includes(name)) usage(`unknown scenario ${name}`);

const ARTILLERY_DIR = join(PROJECT_ROOT, 'artillery');
const ARTILLERY_BIN = join(ARTILLERY_DIR, 'node_modules', '.bin', 'artillery');
const TSX_BIN = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const startedAt = new Date();
const runId =
  `load-${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`.toLowerCase();
const reportDir = join(process.env.LOAD_REPORTS_DIR || join(ARTILLERY_DIR, 'reports'), runId);
mkdirSync(reportDir, { recursive: true });

// The SDK warns that its 2027 releases need Node 22; not news for a local load run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const say = (line: string) => console.log(`[load] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (!existsSync(ARTILLERY_BIN)) {
  console.error(
    'artillery is not installed: run `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix artillery` first (its own package, ~600 MB)',
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// 1. Stores

// The configured (or the machine's) stores; replaced in main() by private ones if they do not answer.
let redisUrl = process.env.LOAD_REDIS_URL || 'redis://127.0.0.1:6379/7';
let serverUrl = process.env.LOAD_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const databaseName = runId.replace(/-/g, '_');
const databaseOn = (server: string) => {
  const url = new URL(server);
  url.pathname = `/${databaseName}`;
  return url.toString();
};
let databaseUrl = databaseOn(serverUrl);

async function resolveStores(): Promise<TestServices> {
  const services = await startServices({
    purpose: 'load',
    redisUrl,
    databaseAdminUrl: serverUrl,
    redisVariable: 'LOAD_REDIS_URL',
    databaseVariable: 'LOAD_DATABASE_URL',
    onProgress: say,
  });
  // A private Redis is this run's alone: its database 0 will do.
  if (services.redisUrl !== redisUrl) redisUrl = services.redisUrl;
  if (services.databaseAdminUrl !== serverUrl) {
    serverUrl = services.databaseAdminUrl;
    databaseUrl = databaseOn(serverUrl);
  }
  for (const line of services.descriptions) say(line);
  return services;
}

async function prepareStores(): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } catch (error) {
    throw new Error(`Redis at ${redisUrl} is not usable (${(error as Error).message}); set LOAD_REDIS_URL`);
  } finally {
    redis.disconnect();
  }
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  try {
    // Databases of earlier runs that were kept on failure: dropped when nobody uses them.
    const stale = await admin`select datname from pg_database where datname like 'load_%'`;
    for (const { datname } of stale)
      await admin.unsafe(`drop database if exists "${datname}"`).catch(() => undefined);
    await admin.unsafe(`create database "${databaseName}"`);
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${serverUrl} is not usable (${(error as Error).message}); set LOAD_DATABASE_URL`,
    );
  } finally {
    await admin.end({ timeout: 1 });
  }
}

async function dropDatabase(): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

// ---------------------------------------------------------------------------------------------
// 2. The local runtime

interface Runtime {
  child: ChildProcess;
  http: string;
  ws: string;
  sqs: string;
  exited: Promise<number | null>;
  log: string[];
}

const jwtSecret = randomBytes(32).toString('hex');
const webhookSecret = randomBytes(32).toString('hex');

async function startRuntime(): Promise<Runtime> {
  const logFile = createWriteStream(join(reportDir, 'local-runtime.log'));
  const child = spawn(process.execPath, [TSX_BIN, 'local-aws/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      HTTP_PORT: '0',
      WS_PORT: '0',
      REDIS_URL: redisUrl,
      DATABASE_URL: databaseUrl,
      JWT_SECRET: jwtSecret,
      WEBHOOK_SECRET: webhookSecret,
      LOCAL_DATA_DIR: join(reportDir, 'local-data'),
      SWEEPER_INTERVAL_MS: process.env.SWEEPER_INTERVAL_MS || '1000',
      // Every virtual user comes from 127.0.0.1: no per-address WebSocket cap, and no per-address
      // limit on anonymous /events reads (30 per 10 s would be shared by every browsing user).
      WS_CONNECTIONS_PER_IP: '0',
      EVENTS_READ_RATE_LIMIT: '0',
      LOCAL_LOG_FORMAT: 'text',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<Runtime>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error('npm run local did not print `ready` within 180 s'));
    }, 180_000);
    let buffer = '';
    const onData = (chunk: Buffer) => {
      logFile.write(chunk);
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('[local]')) log.push(line);
        const ready = /^\[local\] ready\s+http=(\S+) ws=(\S+) .*sqs=(\S+)/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve({
            child,
            http: ready[1] as string,
            ws: ready[2] as string,
            sqs: ready[3] as string,
            exited,
            log,
          });
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `npm run local exited (code ${code}) before ready; see ${relative(PROJECT_ROOT, reportDir)}/local-runtime.log:\n${log.slice(-10).join('\n')}`,
        ),
      );
    });
  });
}

async function stopRuntime(runtime: Runtime): Promise<{ clean: boolean; summary: string[] }> {
  const before = runtime.log.length;
  runtime.child.kill('SIGTERM');
  const code = await Promise.race([runtime.exited, sleep(60_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    runtime.child.kill('SIGKILL');
    return { clean: false, summary: ['did not stop within 60 s of SIGTERM: killed'] };
  }
  const summary = runtime.log
    .slice(before)
    .filter((line) => line.startsWith('[local] summary'))
    .map((line) => line.replace(/^\[local\] summary\s+/, ''));
  return { clean: code === 0, summary: [...summary, `exit code ${code}`] };
}

// ---------------------------------------------------------------------------------------------
// 3. Artillery

async function runScenario(name: string, runtime: Runtime): Promise<ScenarioReport> {
  const samplesDir = join(reportDir, name);
  const outputJson = join(reportDir, `${name}.json`);
  const logPath = join(reportDir, `${name}.log`);
  const started = Date.now();
  const child = spawn(
    ARTILLERY_BIN,
    ['run', '--environment', profile, '--output', outputJson, join('scenarios', `${name}.yml`)],
    {
      cwd: ARTILLERY_DIR,
      env: {
        ...process.env,
        TARGET_URL: runtime.http,
        WS_URL: runtime.ws,
        JWT_SECRET: jwtSecret,
        WEBHOOK_SECRET: webhookSecret,
        LOAD_RUN_ID: runId,
        LOAD_SAMPLES_DIR: samplesDir,
        ARTILLERY_DISABLE_TELEMETRY: 'true',
        // Artillery needs no browser; this keeps a stray Playwright install step from downloading one.
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logFile = createWriteStream(logPath);
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  const exitCode: number = await new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  await new Promise((resolve) => logFile.end(resolve));
  const seconds = (Date.now() - started) / 1000;

  const output = readFileSync(logPath, 'utf8');
  const checks = [...output.matchAll(/^(ok|fail): (.+)$/gm)].map((match) => ({
    ok: match[1] === 'ok',
    text: (match[2] as string).trim(),
  }));
  const errors: Record<string, number> = {};
  if (existsSync(outputJson)) {
    const json = JSON.parse(readFileSync(outputJson, 'utf8')) as {
      aggregate?: { counters?: Record<string, number> };
    };
    for (const [key, value] of Object.entries(json.aggregate?.counters ?? {}))
      if (key.startsWith('errors.') || (key.startsWith('load.unexpected.') && value > 0)) errors[key] = value;
  }
  const samples = readSamples(samplesDir);
  const fanout = latencyStats(
    samples.fanout.map((f) => f.t),
    samples.fanout.map((f) => f.ms),
  );
  const from201 = samples.fanout
    .flatMap((f) => (f.from201Ms === undefined ? [] : [f.from201Ms]))
    .sort((a, b) => a - b);
  writes.push(...samples.writes);
  return {
    name,
    profile,
    exitCode,
    seconds,
    checks,
    requests: requestFigures(samples.responses),
    fanout: {
      count: fanout.count,
      p50: fanout.p50,
      p99: fanout.p99,
      from201P50: from201.length ? percentile(from201, 50) : -1,
      from201P99: from201.length ? percentile(from201, 99) : -1,
    },
    responses: samples.responses,
    fanoutSamples: samples.fanout,
    errors,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Drain and audit

const writes: WriteSample[] = [];

async function waitForDrain(runtime: Runtime, timeoutMs: number): Promise<{ drained: boolean; dlq: number }> {
  const sqs = new SQSClient({
    endpoint: runtime.sqs,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
    const depth = async (url: string) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    };
    const outboxes = async () => {
      let pending = 0;
      for (const key of await redis.keys('*:outbox')) pending += await redis.hlen(key);
      return pending;
    };
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (Date.now() < deadline) {
      const main = await Promise.all(QueueUrls.filter((url) => !url.endsWith('-dlq')).map(depth));
      const pending = main.reduce((a, b) => a + b, 0) + (await outboxes());
      quiet = pending === 0 ? quiet + 1 : 0;
      if (quiet >= 3) break;
      await sleep(500);
    }
    const dead = await Promise.all(QueueUrls.filter((url) => url.endsWith('-dlq')).map(depth));
    return { drained: quiet >= 3, dlq: dead.reduce((a, b) => a + b, 0) };
  } finally {
    redis.disconnect();
    sqs.destroy();
  }
}

/** Audits until it passes or `timeoutMs` passes: closes and the last events may still be on their way. */
async function audit(runtime: Runtime, timeoutMs: number): Promise<AuditCheck[]> {
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => undefined });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const checks = await auditRun({ sql, httpUrl: runtime.http, runId, writes });
      if (checks.every((check) => check.ok) || Date.now() > deadline) return checks;
      await sleep(1_000);
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function persistenceAudit(): Promise<RunReport['persistenceAudit']> {
  if (!existsSync(join(PROJECT_ROOT, 'scripts', 'audit.ts')))
    return { ran: false, ok: true, output: 'scripts/audit.ts is not in this checkout yet' };
  const child = spawn(process.execPath, [TSX_BIN, 'scripts/audit.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, REDIS_URL: redisUrl, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { ran: true, ok: code === 0, output: output.trim().split('\n').slice(-40).join('\n') };
}

async function writerRate(): Promise<RunReport['writer']> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql<{ s: string; n: string }[]>`
      select floor(extract(epoch from persisted_at))::bigint as s, count(*) as n from events group by 1 order by 1`;
    if (rows.length === 0) return { perSecond: [], start: 0 };
    const start = Number(rows[0]?.s);
    const counts = new Map(rows.map((row) => [Number(row.s) - start, Number(row.n)]));
    const last = Number(rows[rows.length - 1]?.s) - start;
    const perSecond = Array.from({ length: last + 1 }, (_, second) => ({
      second,
      count: counts.get(second) ?? 0,
    }));
    return { perSecond, start: start * 1000 };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A same-run ceiling: the trivial `GET /health` route through the same local gateway, 3 s. */
async function healthReference(httpUrl: string): Promise<number> {
  const result = await autocannon({ url: `${httpUrl}/health`, connections: 50, duration: 3 });
  return result.requests.average;
}

// ---------------------------------------------------------------------------------------------

function headline(scenarios: ScenarioReport[], writer: RunReport['writer'], reference: number): Headline[] {
  const find = (scenario: string, request: string) =>
    scenarios.find((s) => s.name === scenario)?.requests.find((r) => r.name === request);
  const lines: Headline[] = [];
  const ms = (value: number | undefined) =>
    value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(1)} ms`;
  const rate = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(0)}/s`);
  const ref = `GET /health ${reference.toFixed(0)} req/s (autocannon, 50 conn)`;
  const bid = find('hot-auction', 'bid');
  const order = find('flash-sale', 'order');
  lines.push({
    label: 'bids/s decided (hot auction)',
    value: rate(bid?.perSecond),
    target: '1,000/s',
    reference: ref,
  });
  lines.push({ label: 'bids/s accepted (201)', value: rate(bid?.acceptedPerSecond), target: '' });
  lines.push({ label: 'bid p50 / p99', value: `${ms(bid?.p50)} / ${ms(bid?.p99)}`, target: 'p99 < 200 ms' });
  lines.push({
    label: 'orders/s decided (flash sale)',
    value: rate(order?.perSecond),
    target: '',
    reference: ref,
  });
  lines.push({
    label: 'order p50 / p99',
    value: `${ms(order?.p50)} / ${ms(order?.p99)}`,
    target: 'p99 < 200 ms',
  });
  for (const scenario of scenarios.filter((s) => s.fanout.count > 0))
    lines.push({
      label: `fan-out latency p50 / p99 (${scenario.name})`,
      value: `${ms(scenario.fanout.p50)} / ${ms(scenario.fanout.p99)}`,
      target: 'real time, never slows bids',
    });
  const active = writer.perSecond.filter((b) => b.count > 0);
  const total = active.reduce((sum, b) => sum + b.count, 0);
  lines.push({
    label: 'writer events/s persisted (mean of active s / peak)',
    value: active.length
      ? `${(total / active.length).toFixed(0)} / ${Math.max(...active.map((b) => b.count))}`
      : '-',
    target: '',
  });
  return lines;
}

async function main(): Promise<number> {
  const services = await resolveStores();
  try {
    return await runLoad();
  } finally {
    await services.stop();
  }
}

async function runLoad(): Promise<number> {
  say(
    `run ${runId}, profile ${profile}, scenarios ${only.join(', ')}; report in ${relative(PROJECT_ROOT, reportDir)}/`,
  );
  await prepareStores();
  say(`PostgreSQL database ${databaseName}; Redis ${redisUrl} (flushed)`);
  const runtime = await startRuntime();
  say(`npm run local is ready: ${runtime.http} ${runtime.ws}`);
  let stopped = false;
  const onSignal = () => {
    if (!stopped) runtime.child.kill('SIGTERM');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const scenarios: ScenarioReport[] = [];
  try {
    for (const name of only) {
      say(`artillery run -e ${profile} scenarios/${name}.yml ...`);
      const report = await runScenario(name, runtime);
      scenarios.push(report);
      const failed = report.checks.filter((check) => !check.ok).map((check) => check.text);
      say(
        `${name}: exit ${report.exitCode} after ${report.seconds.toFixed(0)} s${failed.length ? `; failed: ${failed.join('; ')}` : ''}`,
      );
    }
    say('waiting for the queues and outboxes to drain, then auditing ...');
    // An auction may close (sweeper) while the audits run: drain and audit again until both agree.
    const auditDeadline = Date.now() + 60_000;
    let drain: { drained: boolean; dlq: number };
    let auditChecks: AuditCheck[];
    let persistence: RunReport['persistenceAudit'];
    for (let attempt = 1; ; attempt++) {
      drain = await waitForDrain(runtime, 90_000);
      auditChecks = await audit(runtime, 20_000);
      persistence = await persistenceAudit();
      const passed = auditChecks.every((check) => check.ok) && persistence.ok;
      if (passed || !drain.drained || Date.now() > auditDeadline) break;
      say(`audit attempt ${attempt} found differences; draining and auditing again`);
      await sleep(2_000);
    }
    say(drain.drained ? 'drained and audited' : 'NOT drained after 90 s');
    auditChecks.push({
      name: 'queues drained, nothing in a dead-letter queue',
      ok: drain.drained && drain.dlq === 0,
      detail: `${drain.dlq} message(s) in DLQs`,
      problems: drain.drained ? [] : ['queues or outboxes not empty 90 s after the load'],
    });
    const writer = await writerRate();
    const reference = await healthReference(runtime.http);
    say('stopping npm run local ...');
    const stop = await stopRuntime(runtime);
    stopped = true;
    auditChecks.push({
      name: 'npm run local stops cleanly on SIGTERM',
      ok: stop.clean,
      detail: stop.summary[stop.summary.length - 1] ?? '',
      problems: [],
    });
    const ok = scenarios.every((s) => s.exitCode === 0) && auditChecks.every((c) => c.ok) && persistence.ok;
    const report: RunReport = {
      runId,
      profile,
      startedAt,
      machine: `${cpus().length} CPU (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
      headline: headline(scenarios, writer, reference),
      scenarios,
      audit: auditChecks,
      persistenceAudit: persistence,
      writer,
      runtimeSummary: stop.summary,
      ok,
    };
    const html = join(reportDir, 'report.html');
    writeFileSync(html, htmlReport(report));
    writeFileSync(
      join(reportDir, 'summary.json'),
      JSON.stringify(
        { ...report, scenarios: scenarios.map(({ responses: _r, fanoutSamples: _f, ...rest }) => rest) },
        null,
        2,
      ),
    );
    console.log(`\n${terminalSummary(report)}`);
    console.log(`\nReport: ${relative(process.cwd(), html)} (open it offline in a browser)`);
    if (ok && !keepDb) await dropDatabase().catch(() => undefined);
    else say(`PostgreSQL database ${databaseName} kept for inspection (${databaseUrl})`);
    return ok ? 0 : 1;
  } finally {
    if (!stopped) {
      runtime.child.kill('SIGTERM');
      await Promise.race([runtime.exited, sleep(30_000)]);
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[load] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
