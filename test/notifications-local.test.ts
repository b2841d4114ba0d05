/**
 * Issue 27's "Must show" through `npm run local` (the real runtime as a child process, used only
 * through its public interfaces): outbid pushes within 1 s of the bid's 201 (p99 over 100 rounds
 * printed), the close at its endsAt (delay printed) with won / lost / sold, another user never
 * receives one's notification, and Redis losing everything mid-run (FLUSHALL) loses no notification
 * from the list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'hono/jwt';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalProcess, startLocal } from './support/local-process.js';
import { startPrivateRedis } from './support/redis-servers.js';

const JWT_SECRET = 'notifications-local-secret-0123456789';
const ADMIN_DATABASE_URL = inject('databaseAdminUrl');

const token = (sub: string, admin = false) =>
  sign(
    { sub, ...(admin ? { role: 'admin' } : {}), exp: Math.floor(Date.now() / 1000) + 1_800 },
    JWT_SECRET,
    'HS256',
  );

type Message = { type: string; topic?: string; seq?: number; code?: string; notification?: Notification };
type Notification = { seq: number; kind: string; auctionId?: string; amount?: number };

interface MeClient {
  socket: WebSocket;
  /** Arrival time of each message. */
  messages: { at: number; message: Message }[];
  notifications(): Notification[];
}

async function meClient(wsUrl: string, userId: string | null): Promise<MeClient> {
  const socket = new WebSocket(userId === null ? wsUrl : `${wsUrl}?token=${await token(userId)}`);
  const client: MeClient = {
    socket,
    messages: [],
    notifications: () =>
      client.messages.flatMap(({ message }) =>
        message.type === 'notification' && message.notification ? [message.notification] : [],
      ),
  };
  socket.on('message', (data) =>
    client.messages.push({ at: Date.now(), message: JSON.parse(String(data)) as Message }),
  );
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
  });
  socket.send(JSON.stringify({ action: 'subscribe', topic: 'me' }));
  await until(() => client.messages.length > 0, 5_000, 'me answered');
  return client;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('personal notifications through npm run local', () => {
  let local: LocalProcess;
  let urls: { http: string; ws: string };
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let dataDir: string;
  let databaseName: string;
  let databaseUrl: string;
  const admin = postgres(ADMIN_DATABASE_URL, { max: 1, onnotice: () => undefined });

  beforeAll(async () => {
    redis = await startPrivateRedis();
    dataDir = mkdtempSync(join(tmpdir(), 'notifications-local-'));
    databaseName = `live_sale_n27_${Math.random().toString(36).slice(2, 10)}`;
    await admin.unsafe(`CREATE DATABASE ${databaseName}`);
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
    local = startLocal({
      REDIS_URL: `redis://127.0.0.1:${redis.ports[0]}`,
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
      LOCAL_DATA_DIR: dataDir,
      SQS_ENDPOINT: undefined,
      AWS_ENDPOINT_URL: undefined,
      // Rate limits out of the way of 100 sequential rounds by the same two users.
      USER_RATE_LIMIT: '0',
    });
    urls = await local.ready;
  });

  afterAll(async () => {
    await local?.stop();
    if (local)
      console.log(
        `[notifications local] runtime summary:\n${local
          .output()
          .split('\n')
          .filter((line) => /auction closer|persist:|fanout:/.test(line))
          .join('\n')}`,
      );
    await redis?.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const request = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const response = await fetch(`${urls.http}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const createAuction = async (title: string, endsAt = Date.now() + 600_000) => {
    const created = await request('/auctions', {
      method: 'POST',
      token: await token('seller-n27', true),
      body: { title, startingPrice: 1_000, minIncrement: 100, endsAt: new Date(endsAt).toISOString() },
    });
    expect(created.status).toBe(201);
    return (created.json.auction as { id: string }).id;
  };
  const bid = async (auctionId: string, userId: string, amount: number) => {
    const placed = await request(`/auctions/${auctionId}/bids`, {
      method: 'POST',
      token: await token(userId),
      body: { amount },
    });
    expect(placed.status, JSON.stringify(placed.json)).toBe(201);
    return Date.now();
  };
  const list = async (userId: string) => {
    const listed = await request('/me/notifications?limit=100', { token: await token(userId) });
    expect(listed.status).toBe(200);
    return listed.json.notifications as Notification[];
  };

  it('anonymous `me`: unauthorized; 100 rounds of Alice outbid by Bob: Alice gets each within 1 s (p99 printed), Bob and Eve nothing', async () => {
    const anonymous = await meClient(urls.ws, null);
    expect(anonymous.messages[0]?.message).toMatchObject({
      type: 'error',
      code: 'unauthorized',
      topic: 'me',
    });
    anonymous.socket.close();

    const [aliceMe, bobMe, eveMe] = await Promise.all([
      meClient(urls.ws, 'alice'),
      meClient(urls.ws, 'bob'),
      meClient(urls.ws, 'eve'),
    ]);
    expect(aliceMe.messages[0]?.message).toEqual({ type: 'subscribed', topic: 'me', seq: 0 });
    const rounds = 100;
    const latencies: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const auctionId = await createAuction(`Lot ${round}`);
      await bid(auctionId, 'alice', 1_000);
      const accepted = await bid(auctionId, 'bob', 1_100);
      await until(() => aliceMe.notifications().length > round, 10_000, `outbid ${round}`);
      const arrived =
        aliceMe.messages.filter(({ message }) => message.type === 'notification')[round]?.at ?? Number.NaN;
      latencies.push(arrived - accepted);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    console.log(
      `[notifications local] outbid on Alice's me connection after Bob's 201, ${rounds} rounds through npm run local: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${sorted.at(-1)} ms (persist window 1 s: the fan-out's fast path pushed them)`,
    );
    expect(aliceMe.notifications().map((n) => n.seq)).toEqual(
      Array.from({ length: rounds }, (_, i) => i + 1),
    );
    expect(aliceMe.notifications().every((n) => n.kind === 'outbid' && n.amount === 1_100)).toBe(true);
    expect(p(0.99)).toBeLessThan(1_000);
    const listed = await list('alice');
    expect(listed.map((n) => n.seq)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    expect(bobMe.notifications()).toEqual([]);
    expect(eveMe.notifications()).toEqual([]);
    expect(await list('bob')).toEqual([]);
    for (const client of [aliceMe, bobMe, eveMe]) client.socket.close();
  });

  it('closes at endsAt (delay printed): won, lost to each other bidder once, sold to the seller', async () => {
    const [carolMe, daveMe, sellerMe] = await Promise.all([
      meClient(urls.ws, 'carol'),
      meClient(urls.ws, 'dave'),
      meClient(urls.ws, 'seller-n27'),
    ]);
    const endsAt = Date.now() + 3_000;
    const auctionId = await createAuction('Clock', endsAt);
    await bid(auctionId, 'carol', 1_000);
    await bid(auctionId, 'dave', 1_100);
    await bid(auctionId, 'carol', 1_200);
    const closeKinds = (client: MeClient) =>
      client.notifications().filter((n) => n.auctionId === auctionId && n.kind.startsWith('auction.'));
    await until(() => closeKinds(sellerMe).length > 0, 15_000, 'auction.sold');
    const soldAt =
      sellerMe.messages.find(({ message }) => message.notification?.kind === 'auction.sold')?.at ?? 0;
    await until(() => closeKinds(carolMe).length > 0 && closeKinds(daveMe).length > 0, 5_000, 'won/lost');
    // The sweeper's log line of the closer's call: its time and the auction's real end.
    const closeLog = local
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"auction closer"') && line.includes(auctionId))
      .map((line) => JSON.parse(line) as { timestamp: string; endsAt: string | null; code: string })[0];
    // `already_closed` carries no endsAt (the sweeper closed it first): the auction's own end is this test's.
    const closedAfter = closeLog
      ? Date.parse(closeLog.timestamp) - (closeLog.endsAt ? Date.parse(closeLog.endsAt) : endsAt)
      : Number.NaN;
    console.log(
      `[notifications local] close recorded ${closedAfter} ms after endsAt (the closer's stand-in waits until endsAt rounded up to the second, as the Step Functions Wait on AWS); auction.sold on the seller's connection ${soldAt - endsAt} ms after endsAt (close + persist window <= 1 s + writer + push)`,
    );
    // The closer closed it, or found it closed by the runtime's sweeper (the safety net, every few
    // seconds locally) that got there first: either way it was closed no later than the closer's call.
    expect(['closed', 'already_closed']).toContain(closeLog?.code);
    expect(closedAfter).toBeLessThan(1_500);
    expect(closeKinds(carolMe)).toMatchObject([{ kind: 'auction.won', amount: 1_200 }]);
    expect(closeKinds(daveMe)).toMatchObject([{ kind: 'auction.lost' }]);
    expect(closeKinds(sellerMe)).toMatchObject([{ kind: 'auction.sold', amount: 1_200 }]);
    expect(soldAt - endsAt).toBeLessThan(5_000);
    for (const client of [carolMe, daveMe, sellerMe]) client.socket.close();
  });

  it('Redis loses everything mid-run (FLUSHALL) and a connection drops: the list still has every notification once', async () => {
    const frankMe = await meClient(urls.ws, 'frank');
    const first = await createAuction('Before');
    await bid(first, 'frank', 1_000);
    await bid(first, 'grace', 1_100);
    await until(() => frankMe.notifications().length === 1, 5_000, 'first outbid');
    frankMe.socket.close();
    const client = new Redis(redis.ports[0] as number, '127.0.0.1');
    await client.flushall();
    await client.quit();
    const second = await createAuction('After');
    await bid(second, 'frank', 1_000);
    await bid(second, 'grace', 1_100);
    await bid(second, 'frank', 1_200);
    await bid(second, 'grace', 1_300);
    let listed = await list('frank');
    for (const deadline = Date.now() + 8_000; listed.length < 3 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      listed = await list('frank');
    }
    expect(listed.map((n) => [n.seq, n.kind])).toEqual([
      [1, 'outbid'],
      [2, 'outbid'],
      [3, 'outbid'],
    ]);
    const again = await meClient(urls.ws, 'frank');
    expect(again.messages[0]?.message).toEqual({ type: 'subscribed', topic: 'me', seq: 3 });
    again.socket.close();
  });
});
