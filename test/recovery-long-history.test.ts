import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { PostgresEventSink } from '../functions/adapters/postgres/postgres-event-sink.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import {
  DEFAULT_AUCTION_STORE_LIMITS,
  RedisAuctionStore,
} from '../functions/adapters/redis/redis-auction-store.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import type { EventEnvelope } from '../functions/domain/events.js';
import { composeHttpApp } from '../functions/http/compose.js';
import { appCaller } from './support/app-caller.js';
import { recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { TEST_JWT_SECRET } from './support/tokens.js';
import { TEST_WEBHOOK_SECRET } from './support/webhooks.js';

/**
 * Issue 24 item 3. Redis keeps an auction's newest 10,000 events; a rebuild from PostgreSQL must give
 * back the same window, the newest, so that `/events?since=` keeps answering the recent history a
 * client catches up on. It gave back the oldest 10,000: after a rebuild of an auction with 10,060
 * events, `/events?since=10000` answered nothing and a client's catch-up skipped states silently.
 */
describe('a rebuilt auction with more than 10,000 events keeps its newest 10,000', () => {
  let sql: Sql;
  let redis: RedisClient;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let http: Awaited<ReturnType<typeof composeHttpApp>>;

  beforeAll(async () => {
    const redisUrl = `${inject('redisUrl')}/6`;
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: redisUrl, cluster: false });
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    http = await composeHttpApp(
      recordingLogger(),
      pipeline.env({
        REDIS_URL: redisUrl,
        DATABASE_URL: inject('databaseUrl'),
        RECOVERY_SETTLE_MS: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await http.close();
    await sql.end();
    await redis.quit();
  });
  const call = appCaller(() => http.app);

  it('answers /events?since=10000 after the rebuild as before the loss', async () => {
    const store = new RedisAuctionStore(redis, {
      ...DEFAULT_AUCTION_STORE_LIMITS,
      bidRateLimit: { max: 0, windowMs: 1_000 },
    });
    const id = `long-${ulid()}`;
    const created = await store.create({
      id,
      title: 'Long lot',
      sellerId: 'seller',
      startingPrice: 1_000,
      minIncrement: 1,
      reservePrice: null,
      startsAt: null,
      endsAt: Date.now() + 3_600_000,
      antiSnipe: null,
    });
    if (!created.ok) throw new Error(`create: ${created.code}`);
    // 10,059 bids (seq 2..10,060), written to PostgreSQL as the writer would write them.
    const sink = new PostgresEventSink(sql);
    let batch: EventEnvelope<Record<string, unknown>>[] = [
      created.event as EventEnvelope<Record<string, unknown>>,
    ];
    for (let n = 0; n < 10_059; n++) {
      const outcome = await store.placeBid({
        auctionId: id,
        bidderId: `bidder-${n % 2}`,
        amount: 1_000 + n,
        bidId: ulid(),
        idempotency: null,
      });
      if (!outcome.ok) throw new Error(`bid ${n}: ${outcome.code}`);
      batch.push(...(outcome.events as EventEnvelope<Record<string, unknown>>[]));
      if (batch.length >= 1_000) {
        await sink.write(batch);
        batch = [];
      }
    }
    await sink.write(batch);
    const before = await call(`/auctions/${id}/events?since=10000`);
    expect(before.json.events.map((event: { seq: number }) => event.seq)).toEqual(
      Array.from({ length: 60 }, (_, i) => 10_001 + i),
    );

    // Redis loses the whole auction (its outbox too: nothing is in flight).
    const keys = auctionKeys(id);
    await redis.del(keys.state, keys.bids, keys.events, keys.outbox);
    const rebuilt = await call(`/auctions/${id}`);
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.json.auction).toMatchObject({ seq: 10_060, bidCount: 10_059 });
    expect(await redis.zcard(keys.events)).toBe(10_000);
    const after = await call(`/auctions/${id}/events?since=10000`);
    expect(after.json).toEqual(before.json);
    // The window is the newest 10,000: seq 61..10,060, as Redis kept it before the loss.
    const oldest = await redis.zrange(keys.events, 0, 0, 'WITHSCORES');
    expect(oldest[1]).toBe('61');
  });
});
