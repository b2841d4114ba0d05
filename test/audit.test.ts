import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { PostgresEventSink } from '../functions/adapters/postgres/postgres-event-sink.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { runCloseAuction } from '../functions/adapters/redis/lua/auction/close-auction.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { createWriterHandler } from '../functions/writer/handler.js';
import { audit } from '../scripts/audit.js';
import { auctionWithBids, recordingLogger, sqsEventOf, testSql } from './support/persistence.js';
import { createTestDatabase, type TestDatabase } from './support/postgres-database.js';

describe('npm run audit', () => {
  let database: TestDatabase;
  let sql: Sql;
  let redis: RedisClient;
  let write: ReturnType<typeof createWriterHandler>;

  beforeAll(async () => {
    // Both stores to itself: the audit looks at every entity.
    database = await createTestDatabase('live_sale_audit', inject('databaseAdminUrl'));
    sql = testSql(database.url);
    redis = createRedisClient({ url: `${inject('redisUrl')}/6`, cluster: false });
    await redis.flushdb();
    write = createWriterHandler({ sink: new PostgresEventSink(sql), logger: recordingLogger() });
  });
  afterAll(async () => {
    await redis.flushdb();
    await redis.quit();
    await sql.end();
    await database.drop();
  });

  const acknowledgeAll = async (id: string) => redis.del(auctionKeys(id).outbox);

  it('finds no difference once everything is persisted, and names each difference otherwise', async () => {
    const first = await auctionWithBids(redis, 5);
    const second = await auctionWithBids(redis, 2, { endsAt: Date.now() + 300 });
    await write(sqsEventOf([...first.events, ...second.events]));
    await acknowledgeAll(first.id);
    await acknowledgeAll(second.id);
    expect((await audit(redis, sql)).differences).toEqual([]);

    // A bid decided in Redis but not (yet) persisted: seq differs and the outbox still holds it.
    const bid = await first.store.placeBid({
      auctionId: first.id,
      bidderId: 'late',
      amount: 9_000,
      bidId: ulid(),
      idempotency: null,
    });
    expect(bid.ok).toBe(true);
    const report = await audit(redis, sql);
    expect(report.differences).toEqual([
      `auction ${first.id}: seq redis=7 postgres=6`,
      `a:${first.id}: 1 event(s) still in the outbox (not acknowledged by SQS)`,
    ]);
    if (bid.ok) await write(sqsEventOf([bid.event]));
    await acknowledgeAll(first.id);

    // A closed auction that Redis evicted is fine; a tampered field is not.
    await new Promise((resolve) => setTimeout(resolve, 350));
    const closed = await runCloseAuction(redis, second.id, 100);
    if (closed.ok) await write(sqsEventOf([closed.event]));
    await redis.del(auctionKeys(second.id).state, auctionKeys(second.id).outbox);
    await redis.hset(auctionKeys(first.id).state, 'title', 'tampered');
    const final = await audit(redis, sql);
    expect(final.auctions).toEqual({ redis: 1, postgres: 2, archivedOnly: 1 });
    expect(final.differences).toEqual([
      `auction ${first.id}: title redis="tampered" postgres="Persisted lot"`,
    ]);
  });

  it('compares the secret maximum of proxy bidding and counts proxy raises, never printing a maximum', async () => {
    const auction = await auctionWithBids(redis, 0);
    const place = (bidderId: string, amount: number, maxAmount: number) =>
      auction.store.placeBid({
        auctionId: auction.id,
        bidderId,
        amount,
        maxAmount,
        bidId: ulid(),
        idempotency: null,
      });
    const first = await place('alice', 1_000, 7_654_321);
    const second = await place('bob', 1_100, 2_000);
    if (!first.ok || !second.ok) throw new Error('bids refused');
    expect(second.events).toHaveLength(2);
    await write(sqsEventOf([...auction.events, ...first.events, ...second.events]));
    await acknowledgeAll(auction.id);
    const mine = async () =>
      (await audit(redis, sql)).differences.filter((difference) => difference.includes(auction.id));
    expect(await mine()).toEqual([]);
    await redis.hset(auctionKeys(auction.id).state, 'leaderMax', '7654322');
    const differences = await mine();
    expect(differences).toEqual([`auction ${auction.id}: leaderMax differs (secret, not printed)`]);
    expect(differences.join('')).not.toMatch(/765432/);
  });
});
