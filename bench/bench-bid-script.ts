/**
 * npm run bench:bid-script — Redis time per bid of the place-bid script, this working tree's against
 * the one at BENCH_BASE_REF, on the same Redis, call by call interleaved (the machine is shared: only
 * same-run figures compare; each call's duration from SLOWLOG). Bids without maxAmount (v1), rising
 * from alternating bidders, so every bid is accepted; then, for information, proxy bids (each one
 * outbid by the leader's maximum; INFO commandstats usec_per_call).
 *
 * Env: REDIS_URL (default redis://127.0.0.1:6379; a Redis of your own: it resets its stats),
 * BENCH_BASE_REF (default main), BENCH_BIDS per round (default 20000), BENCH_ROUNDS (default 5),
 * BENCH_INFLIGHT (default 50).
 */
import { Redis } from 'ioredis';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { luaAt } from './support/lua-sources.js';
import { bidByScript, createAuctionByScript } from './support/script-auction.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const baseRef = process.env.BENCH_BASE_REF ?? 'main';
const bids = Number(process.env.BENCH_BIDS ?? 20_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const inflight = Number(process.env.BENCH_INFLIGHT ?? 50);
const SCRIPT = 'auction/place-bid.lua';

const redis = new Redis(redisUrl);
const current = luaAt().script(SCRIPT);
const baseSource = luaAt(baseRef).script(SCRIPT);
// The same script as the base (an A/A run, to see the measurement's own bias) needs its own sha.
const base = baseSource === current ? `${baseSource}\n-- A/A run\n` : baseSource;
const create = luaAt().script('auction/create-auction.lua');
const [currentSha, baseSha, createSha] = (await Promise.all(
  [current, base, create].map((source) => redis.script('LOAD', source)),
)) as string[];

let auctions = 0;
async function newAuction(): Promise<string> {
  return createAuctionByScript(
    redis,
    createSha as string,
    `bench-script-${Date.now().toString(36)}-${auctions++}`,
  );
}

async function usecPerCall(): Promise<number> {
  const info = await redis.info('commandstats');
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/.exec(info);
  return match ? Number(match[3]) : Number.NaN;
}

/** One bid on `id` through the script `sha` (v1 unless `proxy`). */
function bidOnce(sha: string, id: string, n: number, withMax: boolean, proxy: boolean) {
  // v1: rising amounts from two bidders. Proxy: a leader with a high maximum, challengers below it.
  const bidder = proxy ? (n === 0 ? 'leader' : `challenger-${n}`) : `bidder-${n % 2}`;
  const amount = proxy ? 1_000 + n * 20 : 1_000 + n * 10;
  const maxAmount = withMax ? (proxy && n === 0 ? String(1_000_000_000) : '') : undefined;
  return bidByScript(redis, sha, id, { bidder, amount, bidId: `b${n}`, rateLimit: 0, maxAmount });
}

/**
 * `bids` bids on each of two fresh auctions, one through each script, interleaved call by call (so
 * the machine's noise falls on both alike); each call's own duration comes from SLOWLOG (threshold 0).
 * One connection sends in order, so every bid arrives in order and is accepted.
 */
async function interleaved(): Promise<{ base: number[]; current: number[] }> {
  const [baseAuction, currentAuction] = [await newAuction(), await newAuction()];
  await bidOnce(baseSha as string, baseAuction, 0, true, false);
  await bidOnce(currentSha as string, currentAuction, 0, true, false);
  // Commands a script runs are logged too (about ten per bid).
  await redis.config('SET', 'slowlog-max-len', String(24 * bids + 100));
  await redis.config('SET', 'slowlog-log-slower-than', '0');
  await redis.slowlog('RESET');
  let next = 1;
  const worker = async () => {
    while (next < bids) {
      const n = next++;
      await Promise.all([
        bidOnce(baseSha as string, baseAuction, n, true, false),
        bidOnce(currentSha as string, currentAuction, n, true, false),
      ]);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const entries = (await redis.slowlog('GET', 24 * bids + 100)) as [number, number, number, string[]][];
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  const durations = { base: [] as number[], current: [] as number[] };
  for (const [, , micros, args] of entries) {
    if (args[0]?.toLowerCase() !== 'evalsha') continue;
    if (args[1] === baseSha) durations.base.push(micros);
    else if (args[1] === currentSha) durations.current.push(micros);
  }
  for (const id of [baseAuction, currentAuction]) {
    const keys = auctionKeys(id);
    await redis.del(keys.state, keys.bids, keys.events, keys.outbox);
  }
  return durations;
}

/** Proxy bids through this tree's script (each one outbid by the leader's maximum): usec per call. */
async function proxyRun(): Promise<number> {
  const id = await newAuction();
  await bidOnce(currentSha as string, id, 0, true, true);
  await redis.config('RESETSTAT');
  let next = 1;
  const worker = async () => {
    while (next < bids) await bidOnce(currentSha as string, id, next++, true, true);
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const usec = await usecPerCall();
  const keys = auctionKeys(id);
  await redis.del(keys.state, keys.bids, keys.events, keys.outbox);
  return usec;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

console.log(
  `bench:bid-script — ${bids} bids per round and script, ${rounds} rounds, ${redisUrl}, base ${baseRef}`,
);
const all = { base: [] as number[], current: [] as number[] };
for (let round = 0; round < rounds; round++) {
  const { base: b, current: c } = await interleaved();
  all.base.push(...b);
  all.current.push(...c);
  console.log(
    `  round ${round + 1}: median ${median(b)} vs ${median(c)} us, mean ${mean(b).toFixed(2)} vs ${mean(c).toFixed(2)} us (base vs this tree, ${b.length}/${c.length} calls)`,
  );
}
const [mb, mc] = [median(all.base), median(all.current)];
const [ab, ac] = [mean(all.base), mean(all.current)];
console.log(
  `v1 bids, Redis time per call: median base ${mb} us, this tree ${mc} us (${(((mc - mb) / mb) * 100).toFixed(1)}%); ` +
    `mean ${ab.toFixed(2)} vs ${ac.toFixed(2)} us (${(((ac - ab) / ab) * 100).toFixed(1)}%)`,
);
console.log(`proxy bids (outbid: two price changes each), commandstats: ${await proxyRun()} us per call`);
await redis.quit();
