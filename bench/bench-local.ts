/**
 * npm run bench:local — the runtime a user starts (`npm run local`, default settings) under load,
 * this tree against a previous build (BENCH_BASE_REF) in the same run, the two alternated (ABBA) so
 * that the machine's drift falls on both.
 *
 * Phases per build: GET /health, bids and reservations at max (closed loop, `wrk`, 64 connections),
 * then /health (the trivial route) and bids at 1,000/s open loop (a paced generator that counts
 * latency from each request's due time). Next to every rate: the runtime's CPU per request (all its
 * threads: gateways, function instances, SQS, pollers; not Redis or PostgreSQL).
 *
 * Before measuring, BENCH_WARMUP_SECONDS (20) of bids and reservations warm the instances up.
 *
 * Env: BENCH_BASE_REF (default c1b7465~1, the last build whose functions ran on the gateway's loop;
 * several refs separated by commas; `none` to measure this tree alone), BENCH_SECONDS (8), BENCH_CONNECTIONS (64), BENCH_RATE (1000),
 * BENCH_ROUNDS (1: each build twice, ABBA), BENCH_DATABASE_URL (a server for scratch databases,
 * default the machine's; without one the runtimes start their embedded PostgreSQL).
 * Needs `wrk` (Debian/Ubuntu: apt-get install wrk) and `redis-server` on the PATH, as `npm run local`.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sign } from 'hono/jwt';
import { formatTable, type LoadResult } from './support/load.js';
import { runPacedLoad } from './support/paced-load.js';
import { processTreeCpuSeconds } from './support/process-cpu.js';
import { createScratchDatabase } from './support/scratch-database.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const rate = Number(process.env.BENCH_RATE ?? 1_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 20);
const baseRefs = (process.env.BENCH_BASE_REF ?? 'c1b7465~1')
  .split(',')
  .map((ref) => ref.trim())
  .filter((ref) => ref !== '' && ref !== 'none');
const JWT_SECRET = 'bench-local-secret-0123456789abcdef';
const WEBHOOK_SECRET = 'bench-local-webhook-0123456789abcdef';
const USERS = 2_000;
const ROOT = resolve(import.meta.dirname, '..');

if (spawnSync('wrk', ['--version']).error) {
  console.error(
    'bench:local needs wrk on the PATH (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk)',
  );
  process.exit(1);
}

interface Build {
  label: string;
  dir: string;
}

/** A checkout of the base ref beside this tree, sharing its node_modules (removed at the end). */
function checkoutBase(ref: string): Build & { remove: () => void } {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), `bench-local-${sha}-`));
  execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, sha], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    label: `${ref} (${sha})`,
    dir,
    remove: () => {
      execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Runtime {
  base: string;
  child: ChildProcess;
  cpuSeconds: () => number;
  stop: () => Promise<void>;
}

/** `npm run local` of one build on free ports, as a user starts it (limits lifted for the load). */
async function startRuntime(build: Build, databaseUrl: string | undefined): Promise<Runtime> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-local-data-'));
  // The build's own `npm run local` command (node flags included), run without npm in between so
  // that the runtime is this process's child (its CPU time is read from /proc).
  const script = (
    JSON.parse(readFileSync(join(build.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts.local;
  // `node scripts/check-node.mjs && node --import tsx local-aws/main.ts` (scripts/local.ts in builds
  // before local-aws/ existed): the runtime is the last command.
  const last = (script ?? 'node --import tsx scripts/local.ts').split('&&').pop() ?? '';
  const [command, ...args] = last.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`${build.label}: npm run local is not a node command: ${script}`);
  const child = spawn(process.execPath, args, {
    cwd: build.dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HTTP_PORT: '0',
      WS_PORT: '0',
      DEMO_PORT: '0',
      EVENTS_PORT: '0',
      LOCAL_DATA_DIR: dataDir,
      JWT_SECRET,
      WEBHOOK_SECRET,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      REDIS_URL: '',
      LOG_LEVEL: 'WARN',
      // One user would be refused after 10 bids a second: the load is many users, none limited.
      BID_RATE_LIMIT: '0',
      ORDER_RATE_LIMIT: '0',
      USER_RATE_LIMIT: '0',
    },
  });
  let output = '';
  const base = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /\[local\] ready .*?http=(\S+)/.exec(output);
      if (ready?.[1]) done(ready[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      fail(new Error(`npm run local (${build.label}) exited ${code}:\n${output.slice(-2_000)}`)),
    );
  });
  // Keep draining its output (the handlers' warnings) so the pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    base,
    child,
    cpuSeconds: () => (child.pid === undefined ? 0 : processTreeCpuSeconds(child.pid)),
    stop: async () => {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A POST on a fresh connection (a pooled one may have been closed by the server's keep-alive timeout). */
function post(url: string, token: string, body: unknown): Promise<{ id: string }> {
  const payload = JSON.stringify(body);
  return new Promise((done, fail) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          if (response.statusCode !== 201) {
            fail(new Error(`POST ${url}: ${response.statusCode} ${text}`));
            return;
          }
          const parsed = JSON.parse(text) as { auction?: { id: string }; product?: { id: string } };
          done((parsed.auction ?? parsed.product) as { id: string });
        });
      },
    );
    outgoing.once('error', fail);
    outgoing.end(payload);
  });
}

const exp = Math.floor(Date.now() / 1000) + 3_600;
const adminToken = await sign({ sub: 'bench-admin', role: 'admin', exp }, JWT_SECRET, 'HS256');
const userTokens = await Promise.all(
  Array.from({ length: USERS }, (_, i) => sign({ sub: `bench-user-${i}`, exp }, JWT_SECRET, 'HS256')),
);
const luaDir = mkdtempSync(join(tmpdir(), 'bench-local-wrk-'));
const luaTokens = `local tokens = {${userTokens.map((t) => `"${t}"`).join(',')}}`;

/**
 * A wrk script: each wrk thread posts to its own target, bodies from `bodyOf(counter)` (Lua), a
 * token per request round the users; counts the status codes it saw and prints them at the end.
 */
function wrkScript(name: string, paths: string[], bodyOf: string): string {
  const file = join(luaDir, `${name}.lua`);
  writeFileSync(
    file,
    `${luaTokens}
local paths = {${paths.map((p) => `"${p}"`).join(',')}}
local counter, tid, created = 0, 1, 0
local threads = {}
function setup(thread) created = created + 1; thread:set("tid", created); table.insert(threads, thread) end
function init(args) tid = tonumber(wrk.thread:get("tid")) or 1; codes = {} end
function request()
  counter = counter + 1
  return wrk.format("POST", paths[((tid - 1) % #paths) + 1], {["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. tokens[((counter * 7 + tid) % #tokens) + 1]}, ${bodyOf})
end
function response(status) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("codes")
    for k, v in pairs(c) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, k .. "=" .. v) end
  io.write("STATUS " .. table.concat(parts, " ") .. "\\n")
  io.write(string.format("LAT %f %f\\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
`,
  );
  return file;
}

/** Closed loop at max: wrk, `connections` connections over 2 threads, `seconds` long. */
function runWrk(label: string, runtime: Runtime, path: string, script?: string): LoadResult {
  const cpuBefore = runtime.cpuSeconds();
  const started = performance.now();
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : [])];
  const out = execFileSync('wrk', [...args, `${runtime.base}${path}`], { encoding: 'utf8' });
  const elapsed = (performance.now() - started) / 1_000;
  const cpu = runtime.cpuSeconds() - cpuBefore;
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const statusCounts: Record<string, number> = {};
  const statusLine = /STATUS (.*)/.exec(out)?.[1];
  if (statusLine) {
    for (const part of statusLine.trim().split(' ').filter(Boolean)) {
      const [code, count] = part.split('=');
      statusCounts[code as string] = Number(count);
    }
  } else {
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    statusCounts['2xx'] = total - non2xx;
    if (non2xx > 0) statusCounts.other = non2xx;
  }
  const toMs = (text: string | undefined) => {
    const match = /([\d.]+)(us|ms|s)/.exec(text ?? '');
    if (!match) return Number.NaN;
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1_000 : match[2] === 's' ? value * 1_000 : value;
  };
  const p50 = toMs(/ 50%\s+(\S+)/.exec(out)?.[1]);
  const p99 = toMs(/ 99%\s+(\S+)/.exec(out)?.[1]);
  const result: LoadResult = {
    label,
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? total / elapsed),
    p50,
    p99,
    statusCounts,
    errors: Number(/Socket errors: .*?timeout (\d+)/.exec(out)?.[1] ?? 0),
    total,
    serverCpuMicros: total > 0 ? Math.round((cpu * 1e6) / total) : undefined,
  };
  console.log(
    `  ${label}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${p50} ms, p99 ${p99} ms, runtime CPU ${result.serverCpuMicros} us/req, status ${JSON.stringify(statusCounts)}`,
  );
  return result;
}

interface BuildRun {
  health: LoadResult;
  bids: LoadResult;
  orders: LoadResult;
  healthPaced: LoadResult;
  bidsPaced: LoadResult;
}

async function measure(build: Build): Promise<BuildRun> {
  const scratch = await createScratchDatabase((line) => console.log(`  ${line}`));
  const started = performance.now();
  const runtime = await startRuntime(build, scratch.url);
  console.log(
    `${build.label}: npm run local ready in ${((performance.now() - started) / 1000).toFixed(1)} s at ${runtime.base}`,
  );
  try {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const auction = async () =>
      (
        await post(`${runtime.base}/auctions`, adminToken, {
          title: 'Bench lot',
          startingPrice: 100,
          minIncrement: 1,
          endsAt,
        })
      ).id;
    const product = async () =>
      (
        await post(`${runtime.base}/products`, adminToken, {
          name: 'Bench item',
          price: 100,
          stock: 100_000_000,
          perUserLimit: 1_000_000,
        })
      ).id;
    // Each wrk thread bids on its own lot with rising amounts, so most bids are accepted.
    const bidBody = `'{"amount":' .. (100 + counter * 2) .. '}'`;
    // Warm-up, bids then reservations: the instances a burst starts (their cold starts), each
    // instance's JIT and caches (a token is verified once per instance) are not part of the measure.
    // Each isolate warms on its own, as each Lambda instance does: docs/performance.md.
    const warmAuctions = [await auction(), await auction()];
    const warmBids = wrkScript(
      'warm-bids',
      warmAuctions.map((id) => `/auctions/${id}/bids`),
      bidBody,
    );
    const warmProduct = await product();
    const warmOrders = wrkScript('warm-orders', ['/orders'], `'{"productId":"${warmProduct}","qty":1}'`);
    for (const script of [warmBids, warmOrders]) {
      const half = Math.max(1, Math.round(warmupSeconds / 2));
      execFileSync('wrk', ['-t2', `-c${connections}`, `-d${half}s`, '-s', script, runtime.base], {
        stdio: 'ignore',
      });
    }

    const health = runWrk('GET /health, max', runtime, '/health');
    const auctions = [await auction(), await auction()];
    const bids = runWrk(
      'bids, max',
      runtime,
      '/',
      wrkScript(
        'bids',
        auctions.map((id) => `/auctions/${id}/bids`),
        bidBody,
      ),
    );
    const productId = await product();
    const orders = runWrk(
      'reservations, max',
      runtime,
      '/',
      wrkScript('orders', ['/orders'], `'{"productId":"${productId}","qty":1}'`),
    );
    const cpuSeconds = runtime.cpuSeconds;
    const healthPaced = await runPacedLoad({
      label: `GET /health, ${rate}/s`,
      url: `${runtime.base}/health`,
      durationSeconds: seconds,
      connections,
      rate,
      serverCpuSeconds: cpuSeconds,
    });
    const pacedAuction = await auction();
    let counter = 0;
    const bidsPaced = await runPacedLoad({
      label: `bids, ${rate}/s`,
      url: `${runtime.base}/auctions/${pacedAuction}/bids`,
      method: 'POST',
      durationSeconds: seconds,
      connections,
      rate,
      serverCpuSeconds: cpuSeconds,
      setupRequest: () => {
        counter += 1;
        return {
          path: `/auctions/${pacedAuction}/bids`,
          headers: { authorization: `Bearer ${userTokens[counter % USERS]}` },
          body: `{"amount":${100 + counter * 2}}`,
        };
      },
    });
    return { health, bids, orders, healthPaced, bidsPaced };
  } finally {
    await runtime.stop();
    await scratch.drop();
  }
}

const current: Build = { label: 'this tree', dir: ROOT };
const bases = baseRefs.map(checkoutBase);
const results = new Map<string, BuildRun[]>();
// ABBA (A B C C B A with two refs): drift over the run falls on every build alike.
const order: Build[] = [];
for (let round = 0; round < rounds; round++) order.push(...bases, current, current, ...[...bases].reverse());
if (bases.length === 0) for (let round = 0; round < rounds; round++) order.push(current);
console.log(
  `bench:local: ${warmupSeconds}s warm-up, ${seconds}s per phase, ${connections} connections, ${rate}/s paced; builds in order: ${order.map((b) => b.label).join(', ')}`,
);
try {
  for (const build of order) {
    const run = await measure(build);
    results.set(build.label, [...(results.get(build.label) ?? []), run]);
  }
} finally {
  for (const base of bases) base.remove();
  rmSync(luaDir, { recursive: true, force: true });
}

const range = (values: number[], digits = 0) => {
  const fmt = (v: number) => (digits === 0 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits));
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? fmt(min) : `${fmt(min)}-${fmt(max)}`;
};
const cell = (runs: BuildRun[], pick: (run: BuildRun) => LoadResult, withCpu = true) => {
  const results = runs.map(pick);
  const cpu = withCpu ? `, ${range(results.map((r) => r.serverCpuMicros ?? 0))} us` : '';
  return `${range(results.map((r) => r.requestsPerSecond))}/s, p50 ${range(
    results.map((r) => r.p50),
    1,
  )} / p99 ${range(
    results.map((r) => r.p99),
    1,
  )} ms${cpu}`;
};
const rows = [
  ['build', 'GET /health max', 'bids max', 'reservations max', `/health ${rate}/s`, `bids ${rate}/s`],
];
for (const [label, runs] of results) {
  rows.push([
    label,
    cell(runs, (r) => r.health),
    cell(runs, (r) => r.bids),
    cell(runs, (r) => r.orders),
    cell(runs, (r) => r.healthPaced, false),
    cell(runs, (r) => r.bidsPaced, false),
  ]);
}
console.log(
  `\nbench:local (npm run local, same run; rate, latency, runtime CPU per request):\n${formatTable(rows)}`,
);
const mine = results.get(current.label) ?? [];
const mean = (runs: BuildRun[], pick: (run: BuildRun) => LoadResult) =>
  runs.reduce((sum, run) => sum + pick(run).requestsPerSecond, 0) / runs.length;
for (const base of bases) {
  const theirs = results.get(base.label) ?? [];
  const ratio = (pick: (run: BuildRun) => LoadResult) => (mean(mine, pick) / mean(theirs, pick)).toFixed(2);
  console.log(
    `this tree / ${base.label}: /health ${ratio((r) => r.health)}x, bids ${ratio((r) => r.bids)}x, reservations ${ratio((r) => r.orders)}x`,
  );
}
const failures = [...results.values()]
  .flat()
  .flatMap((run) => [run.health, run.bids, run.orders, run.healthPaced, run.bidsPaced])
  .filter((r) => Object.keys(r.statusCounts).some((code) => code.startsWith('5')) || r.errors > 0);
if (failures.length > 0) {
  console.log(`server errors or timeouts in: ${failures.map((r) => r.label).join(', ')}`);
  process.exitCode = 1;
}
if (existsSync(join(ROOT, '.git'))) execFileSync('git', ['worktree', 'prune'], { cwd: ROOT });
