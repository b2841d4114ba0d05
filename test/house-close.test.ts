/**
 * Issue 29, "must show": the seller's End and Cancel and a buy-now are the same close as at endsAt.
 * Through the real pieces: the HTTP app on Redis, the real SQS protocol, the writer into a database
 * of its own, the local WebSocket gateway and the fan-out: watchers get `auction.closed`, PostgreSQL
 * has the close (auctions, auction_results), the auction still reads closed, the same way, after
 * its Redis database is flushed (served from PostgreSQL, never reopened), and `/me/bids` shows the
 * right `leading` right after the close.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditRun } from '../artillery/lib/audit.js';
import type { WriteSample } from '../artillery/lib/samples.js';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { createTestDatabase, type TestDatabase } from './support/postgres-database.js';
import { queueDepth } from './support/sqs-event-source.js';
import { tokenFor } from './support/tokens.js';
import { type RealtimeStack, startRealtimeStack, subscribedClient, type TestClient } from './ws-helpers.js';

/** Polls until the condition holds (10 s at most). */
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const REDIS_DB = 8;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
type Json = Record<string, any>;

describe('seller End / Cancel and buy-now: the close as at endsAt', () => {
  let database: TestDatabase;
  let sql: Sql;
  let redis: RedisClient;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let stack: RealtimeStack;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase('live_sale_house');
    sql = testSql(database.url);
    const redisUrl = `${inject('redisUrl')}/${REDIS_DB}`;
    redis = createRedisClient({ url: redisUrl, cluster: false });
    await redis.flushdb();
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    await pipeline.source.start();
    // The HTTP function persists through the pipeline's queue (and its writer) and reads back
    // from the database; its fan-out queue is the realtime stack's own.
    stack = await startRealtimeStack({
      redisUrl,
      sqsEndpoint: inject('sqsEndpoint'),
      httpEnv: {
        PERSIST_QUEUE_URL: pipeline.persist.queueUrl,
        PERSIST_DLQ_URL: pipeline.persist.dlqUrl,
        DATABASE_URL: database.url,
        RECOVERY_SETTLE_MS: '0',
      },
    });
    for (const user of ['seller-1', 'seller-2']) tokens[user] = await tokenFor(user, { admin: true });
    for (const user of ['alice', 'bob', 'carol']) tokens[user] = await tokenFor(user);
  });
  afterAll(async () => {
    await stack?.stop();
    await pipeline?.close();
    await redis?.flushdb();
    await redis?.quit();
    await sql?.end();
    await database?.drop();
  });

  const call = async (path: string, init: { method?: string; as?: string; body?: unknown } = {}) => {
    const response = await stack.http.request(path, {
      method: init.method ?? 'GET',
      ...(init.as ? { token: tokens[init.as] } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const create = async (extra: Json = {}) => {
    const created = await call('/auctions', {
      method: 'POST',
      as: 'seller-1',
      body: {
        title: 'Lot',
        startingPrice: 1_000,
        minIncrement: 100,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        ...extra,
      },
    });
    expect(created.status).toBe(201);
    return created.body.auction.id as string;
  };
  const bid = (id: string, as: string, amount: number) =>
    call(`/auctions/${id}/bids`, { method: 'POST', as, body: { amount } });
  const watch = (id: string): Promise<TestClient> => subscribedClient(stack.gateway.url, `auction:${id}`);
  const closedMessage = async (client: TestClient, id: string) => {
    const topic = `auction:${id}`;
    const closed = () =>
      client.json<Json>().find((message) => message.topic === topic && message.type === 'auction.closed');
    await waitFor(() => closed() !== undefined);
    return closed() as Json;
  };
  const persisted = async (id: string, seq: number) => {
    await waitFor(async () => {
      const [row] = await sql`SELECT seq FROM auctions WHERE id = ${id}`;
      return row !== undefined && Number(row.seq) >= seq;
    });
    const [auction] = await sql`
      SELECT closed_at, closed_by, cancelled, ends_at, leader_id, current_price, buy_now_price
      FROM auctions WHERE id = ${id}`;
    const [result] = await sql`
      SELECT winner_id, final_price, reserve_met, closed_by, cancelled, cancel_reason
      FROM auction_results WHERE auction_id = ${id}`;
    return { auction: auction as Json, result: result as Json };
  };
  const pipelineDepth = () => queueDepth(pipeline.sqs, pipeline.persist.queueUrl);
  const myBids = async (as: string, id: string) =>
    ((await call('/me/bids?limit=100', { as })).body.bids as Json[])
      .filter((entry) => entry.auctionId === id)
      .map((entry) => [entry.amount, entry.leading]);

  it('the seller ends early: watchers get auction.closed, PostgreSQL keeps it, it survives a flush', async () => {
    const id = await create({ reservePrice: 1_100 });
    const watcher = await watch(id);
    expect((await bid(id, 'alice', 1_000)).status).toBe(201);
    expect((await bid(id, 'bob', 1_200)).status).toBe(201);
    // Another admin is not the seller.
    const other = await call(`/auctions/${id}/end`, { method: 'POST', as: 'seller-2' });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    expect((await call(`/auctions/${id}/end`, { method: 'POST', as: 'alice' })).status).toBe(403);

    const ended = await call(`/auctions/${id}/end`, { method: 'POST', as: 'seller-1' });
    expect(ended.status).toBe(200);
    const auction = ended.body.auction;
    expect(auction).toMatchObject({
      status: 'closed',
      closedBy: 'seller',
      cancelled: false,
      winnerId: 'bob',
      finalPrice: 1_200,
      seq: 4,
    });
    expect(Date.parse(auction.endsAt)).toBeLessThanOrEqual(Date.now());
    expect(await call(`/auctions/${id}/end`, { method: 'POST', as: 'seller-1' })).toMatchObject({
      status: 409,
      body: { error: { code: 'auction_closed' } },
    });
    expect((await bid(id, 'alice', 1_300)).body.error.code).toBe('auction_closed');

    expect(await closedMessage(watcher, id)).toEqual({
      type: 'auction.closed',
      topic: `auction:${id}`,
      seq: 4,
      auction,
    });
    await watcher.close();

    const row = await persisted(id, 4);
    expect(row.auction).toMatchObject({ closed_by: 'seller', cancelled: false, leader_id: 'bob' });
    expect(row.auction.closed_at).not.toBeNull();
    expect(row.result).toMatchObject({
      winner_id: 'bob',
      final_price: 1_200,
      reserve_met: true,
      closed_by: 'seller',
      cancelled: false,
      cancel_reason: null,
    });
    await waitFor(async () => (await myBids('alice', id)).length === 1);
    expect(await myBids('bob', id)).toEqual([[1_200, true]]);
    expect(await myBids('alice', id)).toEqual([[1_000, false]]);
    // Listed as closed at once: the early end moved endsAt to the close.
    const closedList = await call('/auctions?status=closed&limit=100');
    expect(closedList.body.auctions.map((a: Json) => a.id)).toContain(id);
    expect(
      (await call('/auctions?status=open&limit=100')).body.auctions.map((a: Json) => a.id),
    ).not.toContain(id);

    await redis.flushdb();
    const after = await call(`/auctions/${id}`);
    expect(after.status).toBe(200);
    expect(after.body.auction).toEqual(auction);
    expect((await bid(id, 'carol', 5_000)).body.error.code).toBe('auction_closed');
    expect(
      (await call(`/auctions/${id}/cancel`, { method: 'POST', as: 'seller-1', body: { reason: 'x' } })).body
        .error.code,
    ).toBe('auction_closed');
    expect(await myBids('bob', id)).toEqual([[1_200, true]]);
  });

  it('the seller cancels: no winner, watchers and PostgreSQL know why, nobody leads', async () => {
    const id = await create();
    const watcher = await watch(id);
    expect((await bid(id, 'alice', 1_000)).status).toBe(201);
    expect((await bid(id, 'bob', 1_100)).status).toBe(201);
    expect(await call(`/auctions/${id}/cancel`, { method: 'POST', as: 'seller-1', body: {} })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request' } },
    });
    expect(
      (await call(`/auctions/${id}/cancel`, { method: 'POST', as: 'seller-2', body: { reason: 'mine' } }))
        .status,
    ).toBe(403);
    const cancelled = await call(`/auctions/${id}/cancel`, {
      method: 'POST',
      as: 'seller-1',
      body: { reason: 'Item damaged in storage' },
    });
    expect(cancelled.status).toBe(200);
    const auction = cancelled.body.auction;
    expect(auction).toMatchObject({
      status: 'closed',
      closedBy: 'seller',
      cancelled: true,
      winnerId: null,
      finalPrice: null,
      buyNowAvailable: false,
      seq: 4,
    });
    const message = await closedMessage(watcher, id);
    expect(message).toEqual({ type: 'auction.closed', topic: `auction:${id}`, seq: 4, auction });
    await watcher.close();

    const row = await persisted(id, 4);
    expect(row.auction).toMatchObject({ closed_by: 'seller', cancelled: true });
    expect(row.result).toMatchObject({
      winner_id: null,
      final_price: null,
      closed_by: 'seller',
      cancelled: true,
      cancel_reason: 'Item damaged in storage',
    });
    await waitFor(async () => (await myBids('bob', id)).length === 1);
    expect(await myBids('bob', id)).toEqual([[1_100, false]]);
    expect(await myBids('alice', id)).toEqual([[1_000, false]]);

    await redis.flushdb();
    expect((await call(`/auctions/${id}`)).body.auction).toEqual(auction);
    expect((await call(`/auctions/${id}/buy-now`, { method: 'POST', as: 'carol' })).body.error.code).toBe(
      'auction_closed',
    );
    expect(await myBids('bob', id)).toEqual([[1_100, false]]);
  });

  it('a buy-now: the buyer wins at the Buy It Now price, the bidders no longer lead', async () => {
    const id = await create({ reservePrice: 3_000, buyNowPrice: 4_000 });
    const watcher = await watch(id);
    expect((await bid(id, 'alice', 1_000)).body.auction).toMatchObject({
      buyNowAvailable: true,
      reserveMet: false,
    });
    expect((await call(`/auctions/${id}/buy-now`, { method: 'POST', as: 'seller-1' })).body.error.code).toBe(
      'seller_cannot_bid',
    );
    const bought = await call(`/auctions/${id}/buy-now`, { method: 'POST', as: 'carol' });
    expect(bought.status).toBe(201);
    const auction = bought.body.auction;
    expect(auction).toMatchObject({
      status: 'closed',
      closedBy: 'buy_now',
      cancelled: false,
      winnerId: 'carol',
      leaderId: 'carol',
      finalPrice: 4_000,
      buyNowPrice: 4_000,
      buyNowAvailable: false,
      bidCount: 1,
      seq: 3,
    });
    expect(await closedMessage(watcher, id)).toEqual({
      type: 'auction.closed',
      topic: `auction:${id}`,
      seq: 3,
      auction,
    });
    await watcher.close();
    const row = await persisted(id, 3);
    expect(row.auction).toMatchObject({ closed_by: 'buy_now', leader_id: 'carol', buy_now_price: 4_000 });
    expect(row.result).toMatchObject({
      winner_id: 'carol',
      final_price: 4_000,
      closed_by: 'buy_now',
      cancelled: false,
    });
    await waitFor(async () => (await myBids('alice', id)).length === 1);
    expect(await myBids('alice', id)).toEqual([[1_000, false]]);
    await redis.flushdb();
    expect((await call(`/auctions/${id}`)).body.auction).toEqual(auction);
  });

  it('a live auction with a table, Buy It Now and a reserve is rebuilt with all of it after a flush', async () => {
    const tiers = [
      { from: 0, increment: 10 },
      { from: 1_000, increment: 50 },
    ];
    const id = await create({
      startingPrice: 500,
      minIncrement: undefined,
      incrementTable: tiers,
      reservePrice: 2_000,
      buyNowPrice: 3_000,
    });
    expect((await bid(id, 'alice', 990)).status).toBe(201);
    const before = (await call(`/auctions/${id}`)).body.auction;
    expect(before).toMatchObject({
      minIncrement: 10,
      minimumNextBid: 1_000,
      buyNowAvailable: true,
      incrementTable: tiers,
    });
    await persisted(id, 2);
    await waitFor(async () => (await pipelineDepth()) === 0);
    await redis.flushdb();
    // Rebuilt from PostgreSQL on the next read (the persist queue is drained, no settle time here).
    let after: { status: number; body: Json } = { status: 0, body: {} };
    await waitFor(async () => {
      after = await call(`/auctions/${id}`);
      return after.status === 200;
    });
    expect(after.body.auction).toEqual(before);
    // The table still decides the next minimum, and Buy It Now is still there.
    expect((await bid(id, 'bob', 995)).body.error).toMatchObject({
      code: 'bid_too_low',
      minimumBid: 1_000,
    });
    expect((await bid(id, 'bob', 1_000)).body.auction).toMatchObject({
      minIncrement: 50,
      minimumNextBid: 1_050,
    });
    const bought = await call(`/auctions/${id}/buy-now`, { method: 'POST', as: 'carol' });
    expect(bought.body.auction).toMatchObject({
      status: 'closed',
      closedBy: 'buy_now',
      winnerId: 'carol',
      finalPrice: 3_000,
    });
  });

  it('the load-test audit accepts table chains, a buy-now and a cancelled auction, and names a wrong buy-now winner', async () => {
    const runId = `hz${Date.now().toString(36)}`;
    const server = serve({ fetch: stack.http.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const writes: WriteSample[] = [];
      const tiers = [
        { from: 0, increment: 10 },
        { from: 1_000, increment: 50 },
        { from: 5_000, increment: 200 },
      ];
      const [tiered, bought, cancelled] = [`${runId}-tiers`, `${runId}-bought`, `${runId}-cancelled`];
      await create({ id: tiered, startingPrice: 500, minIncrement: undefined, incrementTable: tiers });
      await create({ id: bought, reservePrice: 5_000, buyNowPrice: 6_000 });
      await create({ id: cancelled });
      for (const id of [tiered, bought, cancelled])
        writes.push({ t: Date.now(), kind: 'auction', record: { id } });
      const accepted = async (id: string, as: string, amount: number, maxAmount?: number) => {
        const answer = await call(`/auctions/${id}/bids`, {
          method: 'POST',
          as,
          body: maxAmount === undefined ? { amount } : { amount, maxAmount },
        });
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        writes.push({ t: Date.now(), kind: 'bid', record: answer.body.bid });
      };
      await accepted(tiered, 'alice', 500, 6_000);
      await accepted(tiered, 'bob', 510, 990);
      await accepted(tiered, 'carol', 1_050, 5_100);
      expect(
        (await call(`/auctions/${tiered}/end`, { method: 'POST', as: 'seller-1' })).body.auction,
      ).toMatchObject({
        winnerId: 'alice',
        finalPrice: 5_300,
      });
      await accepted(bought, 'alice', 1_000);
      expect((await call(`/auctions/${bought}/buy-now`, { method: 'POST', as: 'bob' })).status).toBe(201);
      await accepted(cancelled, 'alice', 1_000);
      await accepted(cancelled, 'bob', 1_100);
      expect(
        (
          await call(`/auctions/${cancelled}/cancel`, {
            method: 'POST',
            as: 'seller-1',
            body: { reason: 'x' },
          })
        ).status,
      ).toBe(200);
      for (const id of [tiered, bought, cancelled]) await persisted(id, 1);
      await waitFor(async () => (await pipelineDepth()) === 0);
      await waitFor(
        async () =>
          (await sql`SELECT 1 FROM auction_results WHERE auction_id LIKE ${`${runId}%`}`).length === 3,
      );
      const checks = await auditRun({ sql, httpUrl, runId, writes });
      expect(checks.filter((check) => !check.ok)).toEqual([]);

      await sql`UPDATE auction_results SET winner_id = 'alice' WHERE auction_id = ${bought}`;
      const broken = await auditRun({ sql, httpUrl, runId, writes });
      const winners = broken.find((check) => check.name.includes('winner'));
      expect(winners?.problems.join(' ')).toMatch(
        new RegExp(`${bought}: winner alice, highest valid bid by bob`),
      );
    } finally {
      server.close();
    }
  });
});
