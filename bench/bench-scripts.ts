/**
 * npm run bench:scripts — the hot item's scripts in isolation, this working tree's against the ones
 * at BENCH_BASE_REF, on one Redis, call by call interleaved with each other and with a no-op script
 * (`return 1`), so the machine's noise falls on all alike; each call's own duration from SLOWLOG
 * (threshold 0; the commands a script runs are logged too, which adds a little to every script
 * that runs commands, base and tree alike). Median and mean per case:
 *   - bid accepted: v1 bids rising from two bidders (each one accepted);
 *   - bid refused: bid_too_low from 300 bidders (the bulk of a bid storm);
 *   - reservation accepted: one unit each, new users, stock never runs out;
 *   - sold out: one unit each, new users, stock 0;
 *   - the floor of an accepted reservation: its seven writes alone, of the same sizes, no logic.
 * The per-entity rate limit is on (high enough never to refuse), no Idempotency-Key.
 * npm run bench:redis measures the same through `npm run local`.
 *
 * Env: REDIS_URL (default redis://127.0.0.1:6379; a Redis of your own: it sets its slowlog),
 * BENCH_BASE_REF (default main), BENCH_CALLS per case and version (default 5000), BENCH_PACE_MS
 * (one step every N ms instead of 8 in flight: an idle, cold Redis, as through npm run local).
 */
import { Redis } from 'ioredis';
import { RUN_KEPT_SECONDS } from '../functions/adapters/redis/lua-script.js';
import {
  auctionKeys,
  orderKeys,
  productCoreKeys,
  productKeys,
} from '../functions/adapters/redis/redis-keys.js';
import { luaAt } from './support/lua-sources.js';
import { FLOOR_WRITES_LUA, floorCall } from './support/reservation-floor.js';
import { bidByScript, createAuctionByScript } from './support/script-auction.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const baseRef = process.env.BENCH_BASE_REF ?? 'main';
const calls = Number(process.env.BENCH_CALLS ?? 5_000);
/** Set: one step of calls every BENCH_PACE_MS, so Redis idles between them (runs each script cold). */
const paceMs = process.env.BENCH_PACE_MS === undefined ? 0 : Number(process.env.BENCH_PACE_MS);
const atBase = luaAt(baseRef);
const atTree = luaAt();
const versions = {
  base: {
    bid: atBase.script('auction/place-bid.lua'),
    reserve: atBase.script('flash-sale/reserve-order.lua'),
  },
  tree: {
    bid: atTree.script('auction/place-bid.lua'),
    reserve: atTree.script('flash-sale/reserve-order.lua'),
  },
};
const createAuctionSha = (await redis.script('LOAD', atTree.script('auction/create-auction.lua'))) as string;
const createProductSha = (await redis.script(
  'LOAD',
  atTree.script('flash-sale/create-product.lua'),
)) as string;

const run = `${Date.now().toString(36)}`;
async function newAuction(name: string): Promise<string> {
  return createAuctionByScript(redis, createAuctionSha, `bs-${run}-${name}`);
}
async function newProduct(name: string, stock: number): Promise<string> {
  const id = `bs-${run}-${name}`;
  const input = {
    id,
    name: 'Bench sneaker',
    price: '5000',
    stock: String(stock),
    perUserLimit: '2',
    saleStartsAt: '',
    saleEndsAt: '',
    reservationTtlSeconds: '600',
  };
  await redis.evalsha(
    createProductSha,
    7,
    ...productCoreKeys(id),
    productKeys(id).fence,
    JSON.stringify(input),
    10_000,
  );
  return id;
}

interface Case {
  name: string;
  sha: string;
  call: (n: number) => Promise<unknown>;
}
const cases: Case[] = [];
// The same source under several cases needs a sha of its own per case.
const load = async (source: string, tag: string) =>
  (await redis.script('LOAD', `${source}\n-- ${tag}\n`)) as string;
const noop = await load('return 1', 'noop');
cases.push({ name: 'no-op script', sha: noop, call: () => redis.evalsha(noop, 0) });
// What a product's shard runs per answer while HTTP instances remember it sold out (sold-out-memo.ts).
const countRequest = await load(atTree.script('requests/count-request.lua'), 'count request');
cases.push({
  name: 'sold out, remembered by the HTTP instance: the counter alone (count-request.lua)',
  sha: countRequest,
  call: (n) =>
    redis.evalsha(countRequest, 1, productKeys(`bs-${run}-memo`).rateLimit(`user-${n}`), 1_000_000, 1_000),
});
// The floor of an accepted reservation in this data model (bench/support/reservation-floor.ts).
const writesAlone = await load(FLOOR_WRITES_LUA, 'writes alone');
const floorTag = `{bs-${run}-floor}`;
cases.push({
  name: 'floor: an accepted reservation’s 7 writes alone (no logic)',
  sha: writesAlone,
  call: async (n) => {
    const floor = floorCall(floorTag, n);
    await redis.evalsha(writesAlone, floor.keys.length, ...floor.keys, ...floor.args);
    await redis.hdel(floor.outbox.key, floor.outbox.field);
  },
});
for (const [version, source] of Object.entries(versions)) {
  const bid = (sha: string, id: string, bidder: string, amount: number, n: number) =>
    bidByScript(redis, sha, id, { bidder, amount, bidId: `b${n}`, rateLimit: 1_000_000, maxAmount: '' });

  const reserve = async (sha: string, id: string, n: number) => {
    const user = `user-${n}`;
    const orderId = `${id}-o${n}`;
    const keys = productKeys(id);
    const reply = (await redis.evalsha(
      sha,
      12,
      ...productCoreKeys(id),
      keys.rateLimit(user),
      keys.idempotency(user, '-'),
      keys.fence,
      orderKeys(orderId).pointer,
      orderKeys(orderId).pending,
      keys.run(orderId),
      user,
      1,
      orderId,
      '',
      1_000_000,
      1_000,
      10_000,
      86_400,
      20,
      '',
      RUN_KEPT_SECONDS,
    )) as string;
    // As the HTTP function does once SQS has the event: the outbox entry goes.
    for (const event of (JSON.parse(reply) as { events: { eventId: string }[] }).events)
      await redis.hdel(keys.outbox, event.eventId);
  };
  const accepted = await newAuction(`${version}-accepted`);
  const acceptedSha = await load(source.bid, `${version} accepted`);
  cases.push({
    name: `${version}: bid accepted`,
    sha: acceptedSha,
    call: async (n) => {
      const reply = (await bid(acceptedSha, accepted, `bidder-${n % 2}`, 1_000 + n * 10, n)) as string;
      const event = (JSON.parse(reply) as { events?: { eventId: string }[] }).events?.[0];
      if (event) await redis.hdel(auctionKeys(accepted).outbox, event.eventId);
    },
  });
  const refused = await newAuction(`${version}-refused`);
  await bid(acceptedSha, refused, 'leader', 100_000, 0);
  const refusedSha = await load(source.bid, `${version} refused`);
  cases.push({
    name: `${version}: bid refused (too low)`,
    sha: refusedSha,
    call: (n) => bid(refusedSha, refused, `bidder-${n % 300}`, 1_000, n),
  });
  const plenty = await newProduct(`${version}-plenty`, 1_000_000);
  const reserveSha = await load(source.reserve, `${version} reserve`);
  cases.push({
    name: `${version}: reservation accepted`,
    sha: reserveSha,
    call: (n) => reserve(reserveSha, plenty, n),
  });
  const none = await newProduct(`${version}-none`, 0);
  const soldOutSha = await load(source.reserve, `${version} sold out`);
  cases.push({ name: `${version}: sold out`, sha: soldOutSha, call: (n) => reserve(soldOutSha, none, n) });
}

const durations = new Map(cases.map((c) => [c.sha, [] as number[]]));
const SLOWLOG_LEN = 200_000;
async function collect() {
  const entries = (await redis.slowlog('GET', SLOWLOG_LEN)) as [number, number, number, string[]][];
  await redis.slowlog('RESET');
  for (const [, , micros, args] of entries) {
    if (args[0]?.toLowerCase() === 'evalsha') durations.get(args[1] as string)?.push(micros);
  }
}
await redis.config('SET', 'slowlog-max-len', String(SLOWLOG_LEN));
await redis.config('SET', 'slowlog-log-slower-than', '0');
await redis.slowlog('RESET');
let next = 0;
await Promise.all(
  Array.from({ length: paceMs > 0 ? 1 : 8 }, async () => {
    while (next < calls) {
      const n = next++;
      await Promise.all(cases.map((c) => c.call(n)));
      if (n % 500 === 0) await collect();
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
  }),
);
await collect();
await redis.config('SET', 'slowlog-log-slower-than', '10000');

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
console.log(
  `bench:scripts — ${calls} calls per case, interleaved, base ${baseRef} vs this tree, SLOWLOG per call${paceMs > 0 ? `, one step every ${paceMs} ms` : ', 8 steps in flight'}`,
);
console.log('| case | median | mean | calls |');
console.log('|---|---|---|---|');
for (const c of cases) {
  const values = durations.get(c.sha) ?? [];
  console.log(`| ${c.name} | ${median(values)} us | ${mean(values).toFixed(1)} us | ${values.length} |`);
}
await redis.quit();
