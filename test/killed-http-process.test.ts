import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBenchServer } from '../bench/support/load.js';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { composeSweeper } from '../functions/sweeper/compose.js';
import { resendOutboxJob } from '../functions/sweeper/jobs/resend-outbox.js';
import { runJobs } from '../functions/sweeper/run-jobs.js';
import { recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';

/** A Redis database of its own: the sweeper scans the whole outbox index of the database it is given. */
const REDIS_DB = 5;
const BIDDERS = 40;
const KILL_AFTER_MS = 30_000;
const KILL_AFTER_ACCEPTED = 80;

/**
 * Guarantee 3 with a real crash: the HTTP server (bundled as the Lambda is) takes bids from 100
 * concurrent clients and is killed with SIGKILL mid-load, so some events are in Redis but never
 * reached SQS and some answers never left. The sweeper re-sends the outboxes, the writer drains the
 * queue: every bid that got a 201 is in PostgreSQL, exactly once, and PostgreSQL agrees with Redis.
 */
describe('an HTTP process killed mid-load', () => {
  let redis: RedisClient;
  let sql: Sql;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  const redisUrl = () => `${inject('redisUrl')}/${REDIS_DB}`;

  beforeAll(async () => {
    redis = createRedisClient({ url: redisUrl(), cluster: false });
    await redis.flushdb();
    sql = testSql(inject('databaseUrl'));
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
  });
  afterAll(async () => {
    await pipeline.close();
    await sql.end({ timeout: 5 });
    await redis.quit();
  });

  it('loses no accepted bid', { timeout: 120_000 }, async () => {
    const server = await startBenchServer({
      REDIS_URL: redisUrl(),
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: 'killed-process-webhook-secret',
      PERSIST_QUEUE_URL: pipeline.persist.queueUrl,
      FANOUT_QUEUE_URL: pipeline.fanout.queueUrl,
      SQS_ENDPOINT: inject('sqsEndpoint'),
      BID_RATE_LIMIT: '0',
      // The storm is the point: neither rate limit may thin it out before the kill.
      USER_RATE_LIMIT: '0',
    });
    const base = `http://127.0.0.1:${server.port}`;
    const created = await fetch(`${base}/auctions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await tokenFor('admin', { admin: true })}`,
      },
      body: JSON.stringify({
        title: 'Crash lot',
        startingPrice: 100,
        minIncrement: 1,
        endsAt: new Date(Date.now() + 600_000).toISOString(),
      }),
    });
    const { auction } = (await created.json()) as { auction: { id: string } };
    const tokens = await Promise.all(
      Array.from({ length: BIDDERS }, (_, index) => tokenFor(`crash-bidder-${index}`)),
    );

    const accepted: string[] = [];
    let counter = 0;
    let dead = false;
    const kill = () => {
      if (dead) return;
      dead = true;
      server.child.kill('SIGKILL');
    };
    // Killed mid-storm: once enough bids were accepted (a fixed delay killed it after only a handful
    // when the machine was busy), or at the latest after KILL_AFTER_MS.
    const killer = setTimeout(kill, KILL_AFTER_MS);
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (!dead) {
          counter += 1;
          try {
            const response = await fetch(`${base}/auctions/${auction.id}/bids`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${tokens[counter % BIDDERS]}`,
              },
              body: JSON.stringify({ amount: 100 + counter * 3 }),
            });
            const body = (await response.json()) as { bid?: { id: string } };
            if (response.status === 201 && body.bid) accepted.push(body.bid.id);
            if (accepted.length >= KILL_AFTER_ACCEPTED) kill();
          } catch {
            // the server is gone: this answer never came, the bid may or may not have been decided
          }
        }
      }),
    );
    clearTimeout(killer);
    await new Promise<void>((resolve) => {
      const { child } = server;
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    expect(accepted.length).toBeGreaterThan(50);

    // What Redis decided is the truth; some of it never reached SQS.
    const state = await redis.hgetall(`{a:${auction.id}}`);
    const decidedBids = Number(state.bidCount);
    // Typically dozens of events sit in the outbox unacknowledged here (40 in a run on 2 cores).
    expect(decidedBids).toBeGreaterThanOrEqual(accepted.length);

    await pipeline.source.start();
    const logger = Object.assign(recordingLogger(), { info: () => undefined });
    const sweeper = await composeSweeper(logger, pipeline.env({ REDIS_URL: redisUrl() }), {
      resend: { resendAfterMs: 0, releaseAfterMs: 0, limit: 100_000 },
    });
    try {
      let persisted = 0;
      for (let round = 0; round < 60 && persisted < decidedBids; round++) {
        await runJobs([resendOutboxJob], sweeper.deps, logger);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const [row] = await sql<
          { count: string }[]
        >`SELECT count(*) FROM bids WHERE auction_id = ${auction.id}`;
        persisted = Number(row?.count);
      }
      expect(persisted).toBe(decidedBids);
    } finally {
      await sweeper.close();
    }

    const rows = await sql<{ id: string }[]>`SELECT id FROM bids WHERE auction_id = ${auction.id}`;
    const persistedIds = new Set(rows.map((row) => row.id));
    expect(accepted.filter((id) => !persistedIds.has(id))).toEqual([]);
    const [persistedAuction] = await sql<{ seq: string; bid_count: number }[]>`
      SELECT seq, bid_count FROM auctions WHERE id = ${auction.id}`;
    expect(Number(persistedAuction?.seq)).toBe(Number(state.seq));
    expect(persistedAuction?.bid_count).toBe(decidedBids);
  });
});
