import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { PERSIST_PROBE_CACHE_MS, PersistQueueProbe } from '../functions/adapters/sqs/persist-queue-probe.js';
import { composeHttpApp } from '../functions/http/compose.js';
import { composeSweeper } from '../functions/sweeper/compose.js';
import { closeAuctionsJob } from '../functions/sweeper/jobs/close-auctions.js';
import { appCaller, createLot } from './support/app-caller.js';
import { recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';
import { TEST_WEBHOOK_SECRET } from './support/webhooks.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Guarantee 5 and the read fallback, through the real HTTP composition root. */
describe('read-back and fenced rebuild of auctions from PostgreSQL', () => {
  let sql: Sql;
  let redis: RedisClient;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let http: Awaited<ReturnType<typeof composeHttpApp>>;
  let sweeper: Awaited<ReturnType<typeof composeSweeper>>;
  let admin: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    const redisUrl = `${inject('redisUrl')}/4`;
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: redisUrl, cluster: false });
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    const env = pipeline.env({
      REDIS_URL: redisUrl,
      DATABASE_URL: inject('databaseUrl'),
      RECOVERY_SETTLE_MS: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      BID_RATE_LIMIT: '0',
    });
    http = await composeHttpApp(recordingLogger(), env);
    sweeper = await composeSweeper(recordingLogger(), env);
    [admin, alice, bob] = await Promise.all([
      tokenFor('admin-1', { admin: true }),
      tokenFor('alice'),
      tokenFor('bob'),
    ]);
  });
  afterAll(async () => {
    await pipeline.close();
    await http.close();
    await sweeper.close();
    await sql.end();
    await redis.quit();
  });

  const call = appCaller(() => http.app);
  const create = (endsInMs: number) => createLot(call, admin, endsInMs);
  const bid = (id: string, token: string, amount: number) =>
    call(`/auctions/${id}/bids`, { method: 'POST', token, body: { amount } });
  const loseFromRedis = async (id: string) => {
    const keys = auctionKeys(id);
    await redis.del(keys.state, keys.bids, keys.events);
  };
  /**
   * Drains the persist queue, then waits out the recovery fence's cached view of the queue
   * (PersistQueueProbe's cacheMs): a read fenced just before would otherwise still see the old depth.
   */
  const drain = async () => {
    await pipeline.drainPersist();
    await sleep(PERSIST_PROBE_CACHE_MS + 50);
  };

  it('reads a closed auction back from PostgreSQL once Redis evicted it', async () => {
    const id = await create(700);
    expect((await bid(id, alice, 1_000)).status).toBe(201);
    expect((await bid(id, bob, 1_500)).status).toBe(201);
    await sleep(800);
    expect(await closeAuctionsJob.run(sweeper.deps)).toMatchObject({ closed: expect.any(Number) });
    await drain();
    await loseFromRedis(id);
    const read = await call(`/auctions/${id}`);
    expect(read.status).toBe(200);
    expect(read.json.auction).toMatchObject({
      id,
      status: 'closed',
      winnerId: 'bob',
      finalPrice: 1_500,
      seq: 4,
    });
    const bids = await call(`/auctions/${id}/bids`);
    expect(bids.json.bids.map((b: { amount: number }) => b.amount)).toEqual([1_500, 1_000]);
    const events = await call(`/auctions/${id}/events?since=0`);
    expect(events.json.events.map((e: { type: string }) => e.type)).toEqual([
      'auction.created',
      'bid.accepted',
      'bid.accepted',
      'auction.closed',
    ]);
    expect((await bid(id, alice, 2_000)).json.error.code).toBe('auction_closed');
    // Served from the archive, not rebuilt: a closed auction never changes again.
    expect(await redis.exists(auctionKeys(id).state)).toBe(0);
  });

  it('answers 503 with Retry-After for a lost auction while an event for it is in flight, then rebuilds it', async () => {
    const id = await create(3_600_000);
    expect((await bid(id, alice, 1_000)).status).toBe(201);
    await drain();
    expect((await bid(id, bob, 1_200)).status).toBe(201); // seq 3: in the persist queue, not persisted
    await loseFromRedis(id);
    const fenced = await call(`/auctions/${id}`);
    expect(fenced.status).toBe(503);
    expect(fenced.json.error.code).toBe('auction_unavailable');
    expect(fenced.headers.get('retry-after')).toBe('5');
    const refused = await bid(id, alice, 5_000);
    expect(refused.status).toBe(503);
    await drain();
    const rebuilt = await call(`/auctions/${id}`);
    expect(rebuilt.status).toBe(200);
    // The rebuilt state includes the bid that was in flight when Redis lost the auction.
    expect(rebuilt.json.auction).toMatchObject({
      seq: 3,
      currentPrice: 1_200,
      leaderId: 'bob',
      minimumNextBid: 1_300,
    });
    const next = await bid(id, alice, 1_300);
    expect(next.status).toBe(201);
    expect(next.json.bid.seq).toBe(4);
    expect((await call(`/auctions/${id}/bids`)).json.bids.map((b: { amount: number }) => b.amount)).toEqual([
      1_300, 1_200, 1_000,
    ]);
  });

  it('creating an auction with the id of one Redis lost never makes a second, fresh auction', async () => {
    const id = await create(60_000);
    expect((await bid(id, alice, 1_000)).status).toBe(201);
    await drain();
    await loseFromRedis(id);
    const again = await call('/auctions', {
      method: 'POST',
      token: admin,
      body: {
        id,
        title: 'Same id, new lot',
        startingPrice: 1,
        minIncrement: 1,
        endsAt: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('auction_exists');
    // The lost auction came back from PostgreSQL with its bid, and the next bid continues it.
    const read = await call(`/auctions/${id}`);
    expect(read.json.auction).toMatchObject({ title: 'Lot', currentPrice: 1_000, bidCount: 1 });
    expect((await bid(id, bob, 1_100)).status).toBe(201);
  });

  it('an id PostgreSQL never heard of stays a 404', async () => {
    expect((await call('/auctions/never-existed')).status).toBe(404);
    expect((await bid('never-existed', alice, 1_000)).status).toBe(404);
  });

  it('the probe trusts the queue only after the settle time', async () => {
    await drain();
    let now = 1_000_000;
    const probe = new PersistQueueProbe(
      pipeline.sqs,
      {
        persistQueueUrl: pipeline.persist.queueUrl,
        persistDlqUrl: pipeline.persist.dlqUrl,
        settleMs: 60_000,
      },
      () => now,
    );
    expect(await probe.settled(now - 1_000)).toBe(false);
    now += 60_000;
    expect(await probe.settled(now - 61_000)).toBe(true);
  });
});
