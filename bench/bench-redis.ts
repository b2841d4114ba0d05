/**
 * npm run bench:redis — Redis time per script on the hot item (issue 17), through the real local
 * runtime (`npm run local` as a child process) on a Redis of this bench's own, read with INFO
 * commandstats (mean, usec_per_call) and INFO latencystats (p50) after CONFIG RESETSTAT per storm.
 * The reference, in the same storm on the same Redis: a no-op Lua function (`return 1`) called by
 * this bench with FCALL_RO (the floor below uses FCALL) a few hundred times a second, so it is counted apart from the runtime's
 * EVALSHA calls.
 *
 * Storms, each on one item, 64 requests in flight from this process:
 *   1. bids: 300 bidders on one auction, each bidding the minimum it last heard of (most refused:
 *      bid_too_low / already_leading, as in a real crowd);
 *   2. reservations: 2,000 users reserve one unit each of a product with 2,000 units;
 *   3. sold out: 6,000 more reservations of it, by other users (every answer 409 sold_out; each
 *      HTTP instance answers from its memory of "sold out" for SOLD_OUT_MEMO_MS after Redis said so,
 *      the product's shard then only counts the request: see the item's-shard column).
 * EVALSHA counts every script of the storm: the deciding script and what the runtime's other
 * functions run meanwhile (fan-out registry, sweeper); the table prints calls per request too, and
 * the deciding script's own calls read from SLOWLOG (threshold 0 during the storm, per call; the
 * commands a script runs are logged too, which adds ~0.3 us per command to its figure).
 * Through npm run local this machine sends a few hundred requests a second: the Redis idles between
 * scripts and runs each one cold (cache), 4-5x slower than busy (bench:scripts); the no-op in the
 * same storm is slowed alike, hence the ratio column.
 * In the reservation storm the bench also calls, at the no-op's pace, a Lua function doing only the
 * seven writes an accepted reservation makes (the floor of this data model), read from SLOWLOG.
 * Then Redis memory (MEMORY USAGE) per accepted bid and per reservation, once the outboxes are empty.
 *
 * Env: BENCH_BIDS (6000), BENCH_UNITS (2000), BENCH_SOLD_OUT (6000), BENCH_INFLIGHT (64), BENCH_SLOWLOG
 *      (0: commandstats alone, no per-script figures),
 *      BENCH_NICE (e.g. -10, root only: the runtime and this bench at that niceness and the Redis at
 *      -19, for a machine shared with other work), BENCH_DATABASE_URL (a server to create a scratch database
 *      on; postgres://postgres@127.0.0.1:5432/postgres, else the runtime embeds PostgreSQL).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'hono/jwt';
import { Redis } from 'ioredis';
import { Agent } from 'undici';
import { auctionKeys, orderKeys, productKeys } from '../functions/adapters/redis/redis-keys.js';
import { startLocal } from '../test/support/local-process.js';
import { freePort } from '../test/support/ports.js';
import { deciderShas } from './support/lua-sources.js';
import { floorCall, floorFunctionLine } from './support/reservation-floor.js';
import { createScratchDatabase } from './support/scratch-database.js';

const BIDS = Number(process.env.BENCH_BIDS ?? 6_000);
const UNITS = Number(process.env.BENCH_UNITS ?? 2_000);
const SOLD_OUT = Number(process.env.BENCH_SOLD_OUT ?? 6_000);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 64);
/**
 * SLOWLOG at threshold 0 during the storms (default): per-call figures of the deciding script, but
 * every command a script runs is logged too, which slows the scripts (not the no-op) in every
 * figure, commandstats included. BENCH_SLOWLOG=0: commandstats alone, as the issue measures.
 */
const SLOWLOG = process.env.BENCH_SLOWLOG !== '0';
const BIDDERS = 300;
const jwtSecret = 'bench-redis-secret-0123456789abcdef';
const benchNice = process.env.BENCH_NICE === undefined ? undefined : Number(process.env.BENCH_NICE);
if (benchNice !== undefined) setPriority(benchNice);

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const scratch = mkdtempSync(join(tmpdir(), 'bench-redis-'));

// The bench's own Redis: its stats are this run's only.
const redisPort = await freePort();
const redisServer = spawn(
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', scratch],
  { stdio: 'ignore' },
);
// Whatever ends this process (an error before the shutdown below included) ends its Redis too.
process.on('exit', () => redisServer.kill('SIGTERM'));
// Under BENCH_NICE the Redis runs at -19: it stands for the shard (a node of its own on AWS); a
// script preempted by a neighbour's process counts the wait as its own time.
if (benchNice !== undefined && redisServer.pid) setPriority(redisServer.pid, -19);
const redisUrl = `redis://127.0.0.1:${redisPort}`;
// Commands wait for the connection, which retries until the server listens.
const redis = new Redis(redisUrl, { retryStrategy: () => 100 });
redis.on('error', () => undefined);
await redis.ping();

const scratchDatabase = await createScratchDatabase(log);
const databaseUrl = scratchDatabase.url;

const local = startLocal(
  {
    LOCAL_DATA_DIR: scratch,
    JWT_SECRET: jwtSecret,
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    // The per-entity limits stay on (their counters are part of each script's work) but high enough
    // never to refuse: the storms measure decisions, not 429s.
    BID_RATE_LIMIT: '100000',
    ORDER_RATE_LIMIT: '100000',
    LOG_LEVEL: 'WARN',
  },
  benchNice !== undefined ? { nice: benchNice, openFiles: true } : {},
);
async function shutdown(code: number): Promise<never> {
  await Promise.race([local.stop(), sleep(20_000)]);
  if (code !== 0) console.log(local.output().split('\n').slice(-40).join('\n'));
  await redis.quit().catch(() => undefined);
  redisServer.kill('SIGTERM');
  await scratchDatabase.drop();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
const urls = await local.ready.catch(async (error: Error) => {
  console.error(error.message);
  return shutdown(1);
});
const base = urls.http;
const agent = new Agent({ connections: INFLIGHT, keepAliveTimeout: 30_000 });

const token = (sub: string, role?: string) =>
  sign({ sub, ...(role ? { role } : {}), exp: Math.floor(Date.now() / 1000) + 3_600 }, jwtSecret, 'HS256');
const adminToken = await token('bench-admin', 'admin');

async function post(path: string, bearer: string, body: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
    // undici's dispatcher option on Node's fetch (typed in @types/node 24's RequestInit).
    dispatcher: agent,
  });
  return { status: response.status, json: (await response.json()) as Json };
}
// biome-ignore lint/suspicious/noExplicitAny: answers are read loosely by the load generator
type Json = Record<string, any>;

// The reference: a no-op Lua function, called with FCALL_RO so that commandstats keeps it apart.
// Beside it, in the reservation storm, the floor of an accepted reservation in this data model: its
// seven writes alone (order into its hash, deadline, order pointer, held units, the event into the
// log and the outbox, the product's available + seq), of the sizes reserve-order.lua writes, no rule,
// read or encoding; called at the no-op's pace, its time read from SLOWLOG like the deciding script's.
await redis.function(
  'LOAD',
  'REPLACE',
  `#!lua name=benchnoop
redis.register_function{function_name = 'noop', callback = function() return 1 end, flags = {'no-writes'}}
${floorFunctionLine('floor')}`,
);
let floorCalls = 0;
/** One floor call, then its outbox entry acknowledged (apart: the floor is the script's writes). */
const floorWrites = async () => {
  const floor = floorCall('{bench-floor}', floorCalls++);
  await redis.fcall('floor', floor.keys.length, ...floor.keys, ...floor.args);
  await redis.hdel(floor.outbox.key, floor.outbox.field);
};

interface Stat {
  calls: number;
  usecPerCall: number;
  p50: number;
}
async function stats(): Promise<Record<string, Stat>> {
  const [commands, latency] = [await redis.info('commandstats'), await redis.info('latencystats')];
  const out: Record<string, Stat> = {};
  for (const match of commands.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/g)) {
    out[match[1] as string] = { calls: Number(match[2]), usecPerCall: Number(match[4]), p50: Number.NaN };
  }
  for (const match of latency.matchAll(/latency_percentiles_usec_(\w+):p50=([\d.]+)/g)) {
    const stat = out[match[1] as string];
    if (stat) stat.p50 = Number(match[2]);
  }
  return out;
}

/** Runs `total` requests, INFLIGHT at a time, with the no-op reference beside them; Redis stats of the storm. */
const shas = deciderShas();
const SLOWLOG_LEN = 100_000;
/**
 * The deciding script's own calls, from SLOWLOG (threshold 0: see the header), and every script the
 * item's shard ran (first key tagged with the item's hash tag: the decider, and what answers without
 * it, e.g. count-request.lua for a product remembered sold out).
 */
async function slowlogOf(
  sha: string,
  slotTag: string,
  into: number[],
  slot: { calls: number; micros: number },
  floor: number[],
) {
  const entries = (await redis.slowlog('GET', SLOWLOG_LEN)) as [number, number, number, string[]][];
  await redis.slowlog('RESET');
  for (const [, , micros, args] of entries) {
    if (args[0]?.toLowerCase() === 'fcall' && args[1] === 'floor') floor.push(micros);
    if (args[0]?.toLowerCase() !== 'evalsha') continue;
    if (args[1] === sha) into.push(micros);
    if (args[3]?.startsWith(slotTag)) {
      slot.calls++;
      slot.micros += micros;
    }
  }
}

async function storm(
  label: string,
  total: number,
  request: (n: number) => Promise<number>,
  decider: string,
  slotTag: string,
  withFloor = false,
) {
  const statuses = new Map<number, number>();
  let next = 0;
  let running = true;
  const own: number[] = [];
  const slot = { calls: 0, micros: 0 };
  const floor: number[] = [];
  await redis.config('SET', 'slowlog-max-len', String(SLOWLOG_LEN));
  if (SLOWLOG) await redis.config('SET', 'slowlog-log-slower-than', '0');
  await redis.slowlog('RESET');
  await redis.config('RESETSTAT');
  const started = performance.now();
  const load = loadavg()[0] as number;
  const reference = (async () => {
    while (running) {
      await redis.call('FCALL_RO', 'noop', 0);
      if (withFloor) await floorWrites();
      await sleep(2);
    }
  })();
  const sampler = (async () => {
    while (running) {
      await sleep(250);
      await slowlogOf(decider, slotTag, own, slot, floor);
    }
  })();
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (next < total) {
        const status = await request(next++);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  running = false;
  await Promise.all([reference, sampler]);
  const s = await stats();
  await slowlogOf(decider, slotTag, own, slot, floor);
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  const evalsha = s.evalsha ?? { calls: 0, usecPerCall: Number.NaN, p50: Number.NaN };
  const noop = s.fcall_ro ?? { calls: 0, usecPerCall: Number.NaN, p50: Number.NaN };
  own.sort((x, y) => x - y);
  const decision = {
    calls: own.length,
    mean: own.reduce((sum, value) => sum + value, 0) / Math.max(1, own.length),
    p50: own[Math.floor(own.length / 2)] ?? Number.NaN,
  };
  floor.sort((x, y) => x - y);
  const floorAlone = {
    calls: floor.length,
    mean: floor.reduce((sum, value) => sum + value, 0) / Math.max(1, floor.length),
    p50: floor[Math.floor(floor.length / 2)] ?? Number.NaN,
  };
  return { label, total, seconds, statuses, evalsha, noop, decision, slot, floor: floorAlone, load, all: s };
}

const results: Awaited<ReturnType<typeof storm>>[] = [];
const settle = async (outboxKey: string) => {
  for (let i = 0; i < 100 && (await redis.hlen(outboxKey)) > 0; i++) await sleep(200);
  await sleep(1_000);
};

// Warm-up: every HTTP instance's cold start and JIT, on an auction of its own.
const warmBidders = await Promise.all(Array.from({ length: 8 }, (_, i) => token(`warm-${i}`)));
const warm = await post('/auctions', adminToken, {
  title: 'Warm-up',
  startingPrice: 100,
  minIncrement: 1,
  endsAt: new Date(Date.now() + 3_600_000).toISOString(),
});
await Promise.all(
  warmBidders.map(async (bearer, lane) => {
    for (let i = 0; i < 60; i++)
      await post(`/auctions/${warm.json.auction.id}/bids`, bearer, { amount: 100 + i * 8 + lane });
  }),
);
log(`runtime ready (${base}), Redis ${redisUrl}, load average ${loadavg()[0]?.toFixed(2)}`);

// 1. Bid storm.
const bidderTokens = await Promise.all(Array.from({ length: BIDDERS }, (_, i) => token(`bidder-${i}`)));
const auction = await post('/auctions', adminToken, {
  title: 'The hot lot',
  startingPrice: 1_000,
  minIncrement: 10,
  endsAt: new Date(Date.now() + 3_600_000).toISOString(),
});
const auctionId = auction.json.auction.id as string;
let minimum = 1_000;
let accepted = 0;
results.push(
  await storm(
    'bids on one auction (300 bidders, most refused)',
    BIDS,
    async (n) => {
      const answer = await post(`/auctions/${auctionId}/bids`, bidderTokens[n % BIDDERS] as string, {
        amount: minimum,
      });
      if (answer.status === 201) {
        accepted++;
        minimum = Math.max(minimum, answer.json.auction.minimumNextBid);
      } else if (answer.json.error?.details?.minimumBid) {
        minimum = Math.max(minimum, answer.json.error.details.minimumBid);
      }
      return answer.status;
    },
    shas.placeBid,
    auctionKeys(auctionId).state,
  ),
);
const a = auctionKeys(auctionId);
await settle(a.outbox);

// 2. Reservation storm, 3. sold out.
const product = await post('/products', adminToken, { name: 'The hot sneaker', price: 5_000, stock: UNITS });
const productId = product.json.product.id as string;
const userTokens = await Promise.all(Array.from({ length: UNITS + SOLD_OUT }, (_, i) => token(`user-${i}`)));
const orderIds: string[] = [];
results.push(
  await storm(
    `reservations on one product (${UNITS} units, one each)`,
    UNITS,
    async (n) => {
      const answer = await post('/orders', userTokens[n] as string, { productId, qty: 1 });
      if (answer.status === 201) orderIds.push(answer.json.order.id);
      return answer.status;
    },
    shas.reserveOrder,
    productKeys(productId).state,
    true,
  ),
);
const p = productKeys(productId);
await settle(p.outbox);
results.push(
  await storm(
    'after it sold out',
    SOLD_OUT,
    async (n) => {
      const answer = await post('/orders', userTokens[UNITS + n] as string, { productId, qty: 1 });
      return answer.status;
    },
    shas.reserveOrder,
    productKeys(productId).state,
  ),
);
await settle(p.outbox);

// Memory, once every outbox is empty (MEMORY USAGE ... SAMPLES 0: every element counted).
const usage = async (key: string) => Number((await redis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0);
const [eventsBytes, eventCount, bidsBytes, bidCount, outboxBytes] = await Promise.all([
  usage(a.events),
  redis.zcard(a.events),
  usage(a.bids),
  redis.llen(a.bids),
  usage(a.outbox),
]);
const productBytes = await Promise.all([p.orders, p.held, p.deadlines, p.events, p.outbox].map(usage));
const pointerBytes = await Promise.all(orderIds.slice(0, 200).map((id) => usage(orderKeys(id).pointer)));
const pointerMean = pointerBytes.reduce((sum, bytes) => sum + bytes, 0) / Math.max(1, pointerBytes.length);
const perReservation =
  productBytes.reduce((sum, bytes) => sum + bytes, 0) / Math.max(1, orderIds.length) + pointerMean;

const f1 = (value: number) => value.toFixed(1);
console.log(`\nbench:redis — through npm run local, ${INFLIGHT} requests in flight, Redis ${redisUrl}`);
console.log(
  "| storm | requests (answers) | req/s | all EVALSHA (commandstats): calls per request, mean (p50) = mean / no-op mean | the deciding script (SLOWLOG): mean (p50) | no-op FCALL_RO, same storm: mean (p50) | deciding script / no-op (means) | the item's shard per answer (SLOWLOG): scripts, us, / no-op | load avg |",
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const answers = [...r.statuses.entries()].map(([status, count]) => `${count}x${status}`).join(', ');
  console.log(
    `| ${r.label} | ${r.total} (${answers}) | ${Math.round(r.total / r.seconds)} | ${f1(r.evalsha.calls / r.total)}, ${f1(r.evalsha.usecPerCall)} us (${f1(r.evalsha.p50)}) = **${f1(r.evalsha.usecPerCall / r.noop.usecPerCall)}x** | ${
      SLOWLOG
        ? `**${f1(r.decision.mean)} us** (${r.decision.p50}), ${r.decision.calls} calls`
        : 'not measured (BENCH_SLOWLOG=0)'
    } | ${f1(r.noop.usecPerCall)} us (${f1(r.noop.p50)}), ${r.noop.calls} calls | ${
      SLOWLOG ? `**${f1(r.decision.mean / r.noop.usecPerCall)}x**` : '-'
    } | ${
      SLOWLOG
        ? `${(r.slot.calls / r.total).toFixed(3)}, **${f1(r.slot.micros / r.total)} us**, ${f1(r.slot.micros / r.total / r.noop.usecPerCall)}x`
        : '-'
    } | ${r.load.toFixed(2)} |`,
  );
}
for (const r of results.filter((result) => result.floor.calls > 0)) {
  console.log(
    `\n${r.label}: the floor, an accepted reservation's seven writes alone (SLOWLOG, at the no-op's pace): mean ${f1(r.floor.mean)} us (p50 ${r.floor.p50}), ${r.floor.calls} calls = **${f1(r.floor.mean / r.noop.usecPerCall)}x** the no-op (by p50 ${f1(r.floor.p50 / r.noop.p50)}x); the deciding script by p50: ${f1(r.decision.p50 / r.noop.p50)}x`,
  );
}
console.log(`\naccepted bids: ${accepted}; reservations: ${orderIds.length}`);
console.log(
  `Redis memory per accepted bid: event log ${Math.round(eventsBytes / Math.max(1, eventCount))} B/event (${eventCount} events), recent-bids list ${Math.round(bidsBytes / Math.max(1, bidCount))} B/bid (${bidCount} kept), outbox ${outboxBytes} B once acknowledged`,
);
console.log(
  `Redis memory per reservation: ${Math.round(perReservation)} B (orders ${productBytes[0]}, held ${productBytes[1]}, deadlines ${productBytes[2]}, event log ${productBytes[3]}, outbox ${productBytes[4]} B for ${orderIds.length} orders; order pointer ${Math.round(pointerMean)} B each)`,
);
if (process.env.BENCH_VERBOSE) for (const r of results) console.log(r.label, r.all);
await shutdown(0);
