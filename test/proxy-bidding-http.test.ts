/**
 * Proxy bidding (API.md v1.1) through the real HTTP composition root, the real SQS protocol and the
 * writer into a database of its own: the answers, what PostgreSQL keeps, the rebuild after a Redis
 * loss, the audits, and that no public answer, queued fan-out event or log line holds a maximum.
 */
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditRun } from '../artillery/lib/audit.js';
import type { WriteSample } from '../artillery/lib/samples.js';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { runCloseAuction } from '../functions/adapters/redis/lua/auction/close-auction.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { checkBidChain } from '../functions/domain/proxy-bidding.js';
import { composeHttpApp } from '../functions/http/compose.js';
import { audit } from '../scripts/audit.js';
import { appCaller, type CallInit, type Json } from './support/app-caller.js';
import { recordingLogger, sqsEventOf, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { createTestDatabase, type TestDatabase } from './support/postgres-database.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';
import { TEST_WEBHOOK_SECRET } from './support/webhooks.js';

const REDIS_DB = 7;

describe('proxy bidding through the HTTP app, SQS and PostgreSQL', () => {
  let database: TestDatabase;
  let sql: Sql;
  let redis: RedisClient;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let http: Awaited<ReturnType<typeof composeHttpApp>>;
  const httpLogger = recordingLogger();
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase('live_sale_proxy');
    const redisUrl = `${inject('redisUrl')}/${REDIS_DB}`;
    sql = testSql(database.url);
    redis = createRedisClient({ url: redisUrl, cluster: false });
    await redis.flushdb();
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    http = await composeHttpApp(
      httpLogger,
      pipeline.env({
        REDIS_URL: redisUrl,
        DATABASE_URL: database.url,
        RECOVERY_SETTLE_MS: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        BID_RATE_LIMIT: '0',
      }),
    );
    for (const user of ['admin', 'alice', 'bob', 'carol', 'dave']) {
      tokens[user] = await tokenFor(user, user === 'admin' ? { admin: true } : {});
    }
  });
  afterAll(async () => {
    await pipeline.close();
    await http.close();
    await redis.flushdb();
    await redis.quit();
    await sql.end();
    await database.drop();
  });

  const request = appCaller(() => http.app);
  const call = (path: string, { as, ...init }: Omit<CallInit, 'token'> & { as?: string } = {}) =>
    request(path, { ...init, token: as ? tokens[as] : undefined });
  const create = async (extra: Json = {}) => {
    const created = await call('/auctions', {
      method: 'POST',
      as: 'admin',
      body: {
        title: 'Lot',
        startingPrice: 1_000,
        minIncrement: 100,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        ...extra,
      },
    });
    expect(created.status).toBe(201);
    return created.json.auction.id as string;
  };
  const bid = (
    id: string,
    as: string,
    amount: number,
    maxAmount?: number,
    headers?: Record<string, string>,
  ) =>
    call(`/auctions/${id}/bids`, {
      method: 'POST',
      as,
      body: maxAmount === undefined ? { amount } : { amount, maxAmount },
      ...(headers ? { headers } : {}),
    });
  const drain = () => pipeline.drainPersist();
  const fanoutBodies = async () => {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await pipeline.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.fanout.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      bodies.push(...Messages.map((message) => message.Body ?? ''));
      if (Messages.length === 0) return bodies;
    }
  };

  it('answers: the maximum only in its bidder’s own 201, outbid and maxRaised, 400 for a bad maximum', async () => {
    const id = await create();
    const first = await bid(id, 'alice', 1_000, 5_000);
    expect(first.status).toBe(201);
    expect(first.json.bid).toMatchObject({ bidderId: 'alice', amount: 1_000, maxAmount: 5_000, seq: 2 });
    expect(Object.keys(first.json.bid)).toEqual([
      'id',
      'auctionId',
      'bidderId',
      'amount',
      'maxAmount',
      'seq',
      'placedAt',
    ]);
    expect(first.json).not.toHaveProperty('outbid');

    const challenger = await bid(id, 'bob', 1_100, 3_000);
    expect(challenger.status).toBe(201);
    expect(challenger.json).toMatchObject({
      outbid: true,
      bid: { bidderId: 'bob', amount: 1_100, maxAmount: 3_000, seq: 3 },
      auction: { leaderId: 'alice', currentPrice: 3_100, bidCount: 3, seq: 4, minimumNextBid: 3_200 },
    });
    expect(challenger.text).not.toContain('5000');

    const raised = await bid(id, 'alice', 3_200, 8_000);
    expect(raised.status).toBe(201);
    expect(raised.json).toMatchObject({
      maxRaised: true,
      bid: { bidderId: 'alice', amount: 3_100, maxAmount: 8_000, proxy: true, seq: 4 },
      auction: { leaderId: 'alice', currentPrice: 3_100, bidCount: 3, seq: 5 },
    });
    expect((await bid(id, 'alice', 3_200, 8_000)).json.error.code).toBe('already_leading');
    expect((await bid(id, 'alice', 3_200)).json.error.code).toBe('already_leading');

    // A v1 bid answers exactly as before: no new fields.
    const plain = await bid(id, 'carol', 9_000);
    expect(plain.status).toBe(201);
    expect(Object.keys(plain.json)).toEqual(['bid', 'auction']);
    expect(Object.keys(plain.json.bid)).toEqual(['id', 'auctionId', 'bidderId', 'amount', 'seq', 'placedAt']);
    expect(plain.json.auction).toMatchObject({ leaderId: 'carol', currentPrice: 9_000, seq: 6 });

    for (const body of [
      { amount: 1_000, maxAmount: 999 },
      { amount: 1_000, maxAmount: 1_000.5 },
      { amount: 1_000, maxAmount: '2000' },
      { amount: 1_000, maxAmount: null },
      { amount: 1_000, maxAmount: 0 },
      { amount: 1_000, maxAmount: Number.MAX_SAFE_INTEGER + 2 },
    ]) {
      const refused = await call(`/auctions/${id}/bids`, { method: 'POST', as: 'dave', body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.json.error).toMatchObject({ code: 'invalid_request' });
      expect(refused.json.error.message).toMatch(/maxAmount/);
    }
    const bids = await call(`/auctions/${id}/bids`);
    expect(bids.json.bids.map((b: Json) => [b.bidderId, b.amount, b.proxy ?? false])).toEqual([
      ['carol', 9_000, false],
      ['alice', 3_100, true],
      ['bob', 1_100, false],
      ['alice', 1_000, false],
    ]);
    const events = await call(`/auctions/${id}/events?since=1`);
    expect(events.json.events.map((e: Json) => [e.seq, e.type, e.bid?.proxy ?? false])).toEqual([
      [2, 'bid.accepted', false],
      [3, 'bid.accepted', false],
      [4, 'bid.accepted', true],
      [5, 'bid.max_raised', false],
      [6, 'bid.accepted', false],
    ]);
  });

  it('an idempotent replay of an outbid decision gives the same body and no second effect', async () => {
    const id = await create();
    await bid(id, 'alice', 1_000, 5_000);
    const key = { 'idempotency-key': `k-${id}` };
    const first = await bid(id, 'bob', 1_100, 2_000, key);
    expect(first.json.outbid).toBe(true);
    const again = await bid(id, 'bob', 1_100, 2_000, key);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect((await call(`/auctions/${id}`)).json.auction).toMatchObject({ seq: 4, bidCount: 3 });
    // The maximum is part of the request: another maximum under the same key is another request.
    expect((await bid(id, 'bob', 1_100, 2_500, key)).status).toBe(422);
  });

  it('PostgreSQL keeps both price changes, the proxy mark and the maxima; both audits find nothing', async () => {
    const id = await create({ reservePrice: 2_000 });
    expect((await bid(id, 'alice', 1_000, 4_000)).json.auction).toMatchObject({ currentPrice: 2_000 });
    expect((await bid(id, 'bob', 2_100, 2_500)).json).toMatchObject({ outbid: true });
    expect((await bid(id, 'alice', 2_700, 6_000)).json).toMatchObject({ maxRaised: true });
    expect((await bid(id, 'carol', 2_700, 7_000)).json.auction).toMatchObject({
      leaderId: 'carol',
      currentPrice: 6_100,
    });
    await drain();
    const rows = await sql<Json[]>`
      SELECT bidder_id, amount, proxy, max_amount, seq FROM bids WHERE auction_id = ${id} ORDER BY seq`;
    expect(rows.map((row) => [row.seq, row.bidder_id, row.amount, row.proxy, row.max_amount])).toEqual([
      [2, 'alice', 1_000, false, 4_000],
      [3, 'alice', 2_000, true, 4_000],
      [4, 'bob', 2_100, false, 2_500],
      [5, 'alice', 2_600, true, 4_000],
      // seq 6: alice raised her maximum to 6,000 (bid.max_raised, no bid row)
      [7, 'carol', 2_700, false, 7_000],
      [8, 'carol', 6_100, true, 7_000],
    ]);
    const [auction] = await sql<Json[]>`SELECT seq, bid_count, state FROM auctions WHERE id = ${id}`;
    expect(auction).toMatchObject({ seq: 8, bid_count: 6 });
    expect(auction?.state.leaderMax).toBe('7000');
    const maxRaised = await sql<Json[]>`
      SELECT seq, payload->'state'->>'leaderMax' AS max FROM events
      WHERE entity_id = ${id} AND type = 'bid.max_raised'`;
    expect(maxRaised).toEqual([{ seq: 6, max: '6000' }]);
    const chain = [
      ...rows.map((row) => ({
        seq: row.seq,
        bidderId: row.bidder_id,
        amount: row.amount,
        proxy: row.proxy,
        maxAmount: row.max_amount,
      })),
      { seq: 6, bidderId: 'alice', amount: 0, proxy: false, maxAmount: 6_000, maxRaise: true },
    ].sort((a, b) => a.seq - b.seq);
    expect(checkBidChain({ startingPrice: 1_000, minIncrement: 100, reservePrice: 2_000 }, chain)).toEqual(
      [],
    );
    // npm run audit: Redis and PostgreSQL agree on every field, the secret one included; bidCount
    // counts the proxy raises as the bid rows do.
    const report = await audit(redis, sql);
    expect(report.differences).toEqual([]);
  });

  it('a rebuild after Redis lost the auction keeps the leader’s maximum', async () => {
    const id = await create();
    await bid(id, 'alice', 1_000, 5_000);
    await drain();
    const keys = auctionKeys(id);
    await redis.del(keys.state, keys.bids, keys.events);
    // The first request after the loss rebuilds (nothing is in flight), then is decided on the
    // rebuilt state: alice's maximum still defends her.
    const challenger = await bid(id, 'bob', 1_100, 4_000);
    expect(challenger.status).toBe(201);
    expect(challenger.json).toMatchObject({
      outbid: true,
      auction: { leaderId: 'alice', currentPrice: 4_100, seq: 4 },
    });
    expect(await redis.hget(keys.state, 'leaderMax')).toBe('5000');
    const bids = await call(`/auctions/${id}/bids`);
    expect(bids.json.bids.map((b: Json) => [b.bidderId, b.amount, b.proxy ?? false])).toEqual([
      ['alice', 4_100, true],
      ['bob', 1_100, false],
      ['alice', 1_000, false],
    ]);
    // After a second loss the rebuilt bid list still marks the proxy raise.
    await drain();
    await redis.del(keys.state, keys.bids, keys.events);
    expect((await call(`/auctions/${id}`)).status).toBe(200);
    const rebuilt = await call(`/auctions/${id}/bids`);
    expect(rebuilt.json.bids[0]).toMatchObject({ bidderId: 'alice', amount: 4_100, proxy: true });
    expect(await redis.lindex(keys.bids, 0)).not.toContain('maxAmount');
    expect((await bid(id, 'carol', 4_200, 6_000)).json.auction).toMatchObject({
      leaderId: 'carol',
      currentPrice: 5_100,
    });
  });

  it('no public answer, queued fan-out event or log line holds another bidder’s maximum', async () => {
    await fanoutBodies();
    const id = await create();
    // Maxima no price can spell: 7777777 and 3333333 (prices here end in ...433, ...533, ...633).
    const answers: { owner: string; text: string }[] = [];
    const keep = async (owner: string, answer: Promise<{ text: string; status: number }>) => {
      const result = await answer;
      expect(result.status).toBe(201);
      answers.push({ owner, text: result.text });
    };
    await keep('alice', bid(id, 'alice', 1_000, 7_777_777));
    await keep('bob', bid(id, 'bob', 1_100, 3_333_333));
    await keep('carol', bid(id, 'carol', 3_333_533));
    await keep('alice', bid(id, 'alice', 3_333_733, 8_888_888));
    const secrets: Record<string, string[]> = {
      alice: ['7777777', '8888888'],
      bob: ['3333333'],
      carol: [],
    };
    const all = Object.values(secrets).flat();
    for (const { owner, text } of answers) {
      for (const secret of all.filter((value) => !secrets[owner]?.includes(value)))
        expect(text, `${owner}'s answer`).not.toContain(secret);
    }
    const publicReads = [
      await call(`/auctions/${id}`),
      await call(`/auctions/${id}/bids?limit=100`),
      await call(`/auctions/${id}/events?since=0`),
    ];
    for (const read of publicReads) {
      expect(read.status).toBe(200);
      for (const secret of all) expect(read.text).not.toContain(secret);
      expect(read.text).not.toMatch(/maxAmount|leaderMax/);
    }
    const queued = await fanoutBodies();
    expect(queued.length).toBeGreaterThan(0);
    for (const body of queued) {
      for (const secret of all) expect(body).not.toContain(secret);
      expect(body).not.toMatch(/maxAmount|leaderMax|max_raised/);
    }
    await drain();
    for (const line of [...httpLogger.lines, ...pipeline.logger.lines]) {
      for (const secret of all) expect(line).not.toContain(secret);
    }
    // The maxima are kept, where only the deciding script and the write-behind store see them.
    expect(await redis.hget(auctionKeys(id).state, 'leaderMax')).toBe('8888888');
  });

  it('the load-test audit accepts proxy chains and closes at the price, and names a broken raise', async () => {
    const runId = `ld${Date.now().toString(36)}`;
    const server = serve({ fetch: http.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const writes: WriteSample[] = [];
      const ids = [`${runId}-tie`, `${runId}-reserve`];
      for (const id of ids) {
        await create({ id, endsAt: new Date(Date.now() + 1_500).toISOString(), reservePrice: 1_500 });
        writes.push({ t: Date.now(), kind: 'auction', record: { id } });
      }
      const accepted = async (id: string, as: string, amount: number, maxAmount?: number) => {
        const answer = await bid(id, as, amount, maxAmount);
        expect(answer.status).toBe(201);
        writes.push({ t: Date.now(), kind: 'bid', record: answer.json.bid });
      };
      // Equal maxima: the last bid (the leader's proxy raise) equals the one before it.
      await accepted(ids[0] as string, 'alice', 1_000, 3_000);
      await accepted(ids[0] as string, 'bob', 3_000);
      await accepted(ids[1] as string, 'alice', 1_000, 2_000);
      await accepted(ids[1] as string, 'bob', 1_600, 1_800);
      await accepted(ids[1] as string, 'alice', 1_600, 4_000);
      await accepted(ids[1] as string, 'carol', 2_000, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      for (const id of ids) {
        const closed = await runCloseAuction(redis, id, 10_000);
        if (!closed.ok) throw new Error(closed.code);
        await pipeline.handler(sqsEventOf([closed.event]));
        await redis.hdel(auctionKeys(id).outbox, closed.event.eventId);
      }
      await drain();
      const checks = await auditRun({ sql, httpUrl, runId, writes });
      expect(checks.filter((check) => !check.ok)).toEqual([]);
      const [tie] = await sql<Json[]>`SELECT * FROM auction_results WHERE auction_id = ${ids[0] as string}`;
      expect(tie).toMatchObject({ winner_id: 'alice', final_price: 3_000 });
      const [reserve] = await sql<
        Json[]
      >`SELECT * FROM auction_results WHERE auction_id = ${ids[1] as string}`;
      expect(reserve).toMatchObject({ winner_id: 'carol', final_price: 4_100, reserve_met: true });

      // A proxy raise past what the rule allows is named.
      await sql`UPDATE bids SET amount = amount + 50 WHERE auction_id = ${ids[1] as string} AND seq = 5`;
      const broken = await auditRun({ sql, httpUrl, runId, writes });
      const chain = broken.find((check) => check.name.includes('chain'));
      expect(chain?.ok).toBe(false);
      expect(chain?.problems.join(' ')).toMatch(/seq 5: proxy raise 1950 more than one increment above/);
    } finally {
      server.close();
    }
  });
});
