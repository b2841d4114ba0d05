import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { runCloseAuction } from '../functions/adapters/redis/lua/auction/close-auction.js';
import { RedisAuctionStore } from '../functions/adapters/redis/redis-auction-store.js';
import {
  AUCTIONS_BY_END_KEY,
  auctionKeys,
  OUTBOX_INDEX_KEY,
} from '../functions/adapters/redis/redis-keys.js';
import { composeSweeper } from '../functions/sweeper/compose.js';
import type { SweeperJob } from '../functions/sweeper/job.js';
import { jobs } from '../functions/sweeper/jobs/index.js';
import { runJobs } from '../functions/sweeper/run-jobs.js';
import { auctionWithBids, recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { queueDepth, waitFor } from './support/sqs-event-source.js';

const isolatedRedisUrl = () => `${inject('redisUrl')}/4`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const infoLogger = () =>
  Object.assign(recordingLogger(), {
    infos: [] as unknown[],
    info(...args: unknown[]) {
      this.infos.push(args);
    },
  });

describe.each([
  { name: 'single Redis', url: () => isolatedRedisUrl(), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
])('close-auction.lua on $name', ({ url, cluster }) => {
  let redis: RedisClient;
  beforeAll(() => {
    redis = createRedisClient({ url: url(), cluster });
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('closes an ended auction once, with seq + 1 and an auction.closed event in log and outbox', async () => {
    const { id } = await auctionWithBids(redis, 2, { endsAt: Date.now() + 400 });
    expect(await runCloseAuction(redis, id, 100)).toMatchObject({ ok: false, code: 'not_ended' });
    await sleep(450);
    const closed = await runCloseAuction(redis, id, 100);
    expect(closed).toMatchObject({
      ok: true,
      event: { type: 'auction.closed', seq: 4, eventId: `a:${id}:4` },
    });
    if (!closed.ok) return;
    expect(closed.state.closedAt).toBeGreaterThanOrEqual(closed.state.endsAt);
    expect(await redis.hget(auctionKeys(id).outbox, `a:${id}:4`)).toContain('auction.closed');
    expect(await runCloseAuction(redis, id, 100)).toMatchObject({ ok: false, code: 'already_closed' });
    expect(await runCloseAuction(redis, `none-${ulid()}`, 100)).toMatchObject({
      ok: false,
      code: 'auction_not_found',
    });
  });
});

describe('sweeper jobs on real Redis, SQS and PostgreSQL', () => {
  let redis: RedisClient;
  let sql: Sql;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let sweeper: Awaited<ReturnType<typeof composeSweeper>>;
  const logger = infoLogger();

  beforeAll(async () => {
    // A database of its own on the shared Redis: the sweeper looks at every auction and outbox.
    redis = createRedisClient({ url: isolatedRedisUrl(), cluster: false });
    sql = testSql(inject('databaseUrl'));
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    sweeper = await composeSweeper(logger, pipeline.env({ REDIS_URL: isolatedRedisUrl() }), {
      resend: { resendAfterMs: 0, releaseAfterMs: 0, limit: 100_000 },
    });
    await pipeline.source.start();
  });
  afterAll(async () => {
    await sweeper.close();
    await pipeline.close();
    await sql.end();
    await redis.quit();
  });

  const persistedSeq = async (id: string) =>
    Number((await sql`SELECT seq FROM auctions WHERE id = ${id}`)[0]?.seq ?? 0);

  it('re-sends what never reached SQS after a crash between Redis and SQS: the events land', async () => {
    // The scripts ran (2xx given) but nothing was published: the process "died" before SQS.
    const { id } = await auctionWithBids(redis, 3);
    expect(await redis.hlen(auctionKeys(id).outbox)).toBe(4);
    expect(await redis.zscore(OUTBOX_INDEX_KEY, `a:${id}`)).not.toBeNull();
    const [, resend] = await runJobs(jobs, sweeper.deps, logger);
    expect(resend).toMatchObject({ job: 'resend-outbox', ok: true });
    expect(await redis.hlen(auctionKeys(id).outbox)).toBe(0);
    await waitFor(
      () => persistedSeq(id),
      (seq) => seq === 4,
    );
    expect(Number((await sql`SELECT count(*)::int AS n FROM bids WHERE auction_id = ${id}`)[0]?.n)).toBe(3);
    // Empty outbox and an old enough intent: the index entry goes on the next run.
    await runJobs(jobs, sweeper.deps, logger);
    expect(await redis.zscore(OUTBOX_INDEX_KEY, `a:${id}`)).toBeNull();
  });

  it('closes ended auctions, persists the result, and re-scores auctions extended by anti-sniping', async () => {
    const { id } = await auctionWithBids(redis, 2, { endsAt: Date.now() + 600 });
    const store = new RedisAuctionStore(redis);
    const extendedId = `p4-${ulid()}`;
    const created = await store.create({
      id: extendedId,
      title: 'Sniped',
      sellerId: 'seller-1',
      startingPrice: 100,
      minIncrement: 10,
      reservePrice: null,
      startsAt: null,
      endsAt: Date.now() + 600,
      antiSnipe: { windowSeconds: 60, extendSeconds: 30, maxExtensions: 3 },
    });
    expect(created.ok).toBe(true);
    const bid = await store.placeBid({
      auctionId: extendedId,
      bidderId: 'b',
      amount: 100,
      bidId: ulid(),
      idempotency: null,
    });
    expect(bid).toMatchObject({ ok: true, extended: true });
    await sleep(700);
    const [close] = await runJobs(jobs, sweeper.deps, logger);
    expect(close).toMatchObject({ job: 'close-auctions', ok: true });
    expect(await redis.zscore(AUCTIONS_BY_END_KEY, id)).toBeNull();
    expect(Number(await redis.zscore(AUCTIONS_BY_END_KEY, extendedId))).toBe(bid.ok ? bid.state.endsAt : -1);
    const result = await waitFor(
      async () =>
        (
          await sql`SELECT winner_id, final_price, reserve_met FROM auction_results WHERE auction_id = ${id}`
        )[0],
      (row) => row !== undefined,
    );
    expect(result).toEqual({ winner_id: 'bidder-1', final_price: 1_100, reserve_met: true });
    expect(await persistedSeq(id)).toBe(4);
    // The close happened once: a second run finds nothing to close.
    const [again] = await runJobs(jobs, sweeper.deps, logger);
    expect(again).toMatchObject({ ok: true });
    expect(again?.ok && again.counts.closed).toBe(0);
  });

  it('isolates a failing job: the others still run, and the summary names the failure', async () => {
    const failing: SweeperJob = {
      name: 'broken',
      run: async () => {
        throw new Error('boom');
      },
    };
    const ran: string[] = [];
    const after: SweeperJob = {
      name: 'after',
      run: async () => {
        ran.push('after');
        return { done: 1 };
      },
    };
    const results = await runJobs([failing, after], sweeper.deps, logger);
    expect(results).toMatchObject([
      { job: 'broken', ok: false, error: 'boom' },
      { job: 'after', ok: true, counts: { done: 1 } },
    ]);
    expect(ran).toEqual(['after']);
    expect(JSON.stringify(logger.infos.at(-1))).toContain('"failed":["broken"]');
  });

  it('leaves the persist queue drained', async () => {
    await waitFor(
      () => queueDepth(pipeline.sqs, pipeline.persist.queueUrl),
      (depth) => depth === 0,
    );
    expect(await queueDepth(pipeline.sqs, pipeline.persist.dlqUrl)).toBe(0);
  });
});
