/**
 * End to end: `npm run local` as a child process on free ports, used only through its public
 * interfaces (HTTP API, WebSocket API, the database the writer fills), then stopped with SIGTERM
 * to its process group, as a terminal or a process manager does, leaving no process behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from 'hono/jwt';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { signedPublish, within } from './support/events-api.js';
import { START_TIMEOUT_MS, startLocal } from './support/local-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The run's Redis and PostgreSQL server, as the test setup chose them (test/global-setup.ts).
const ADMIN_DATABASE_URL = inject('databaseAdminUrl');
const REDIS_URL = inject('redisUrl');
const JWT_SECRET = 'local-runtime-test-secret-0123456789';
const EVENTS_KEY = 'da2-local-runtime-test';

/** A raw AppSync Events subscriber of `channel`; `data` is the first event's JSON text. */
async function subscribeToChannel(host: string, channel: string) {
  const authorization = { host, 'x-api-key': EVENTS_KEY };
  const socket = new WebSocket(`ws://${host}/event/realtime`, [
    'aws-appsync-event-ws',
    `header-${Buffer.from(JSON.stringify(authorization)).toString('base64url')}`,
  ]);
  let resolveData: (text: string) => void = () => undefined;
  const data = new Promise<string>((resolve) => {
    resolveData = resolve;
  });
  const subscribed = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('open', () => socket.send('{"type":"connection_init"}'));
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; event?: string };
      if (message.type === 'connection_ack')
        socket.send(JSON.stringify({ type: 'subscribe', id: 's1', channel, authorization }));
      else if (message.type === 'subscribe_success') resolve();
      else if (message.type === 'data') resolveData(message.event as string);
      else if (message.type !== 'ka') reject(new Error(`unexpected ${String(raw)}`));
    });
  });
  await within(subscribed, 'the channel subscription');
  return { socket, data };
}

/**
 * Live processes still in the process group (npm, sh, node) after the run. Zombies are dead: when
 * npm dies first, node is reparented to a pid 1 that may not reap it (as in this container).
 */
function groupMembers(pgid: number): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,stat=,args=', '-g', String(pgid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^\s*\d+\s+Z/.test(line));
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((done) => setTimeout(done, 100));
  }
}

const token = (sub: string, admin = false) =>
  sign(
    { sub, ...(admin ? { role: 'admin' } : {}), exp: Math.floor(Date.now() / 1000) + 600 },
    JWT_SECRET,
    'HS256',
  );

async function api(
  base: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

async function createAuction(base: string) {
  const created = await api(base, '/auctions', {
    method: 'POST',
    token: await token('seller-1', true),
    body: {
      title: 'Local runtime lot',
      startingPrice: 1_000,
      minIncrement: 100,
      endsAt: new Date(Date.now() + 600_000).toISOString(),
    },
  });
  expect(created.status).toBe(201);
  return (created.json.auction as { id: string }).id;
}

/** A WebSocket client that keeps every message it receives. */
async function connect(url: string) {
  const socket = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
    socket.once('unexpected-response', (_request, response) =>
      fail(new Error(`handshake refused: ${response.statusCode}`)),
    );
  });
  const next = (predicate: (message: Record<string, unknown>) => boolean) =>
    eventually(async () => messages.find(predicate), 15_000);
  return { socket, messages, next };
}

describe('npm run local', () => {
  let dataDir: string;
  let databaseName: string;
  let databaseUrl: string;
  const admin = postgres(ADMIN_DATABASE_URL, { max: 1, onnotice: () => undefined });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-runtime-test-'));
    databaseName = `live_sale_local_${Math.random().toString(36).slice(2, 10)}`;
    await admin.unsafe(`CREATE DATABASE ${databaseName}`);
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
  });

  afterAll(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'serves the HTTP and WebSocket APIs with the real handlers, writes bids to PostgreSQL through the queue, and stops cleanly on SIGTERM',
    async () => {
      const local = startLocal({
        REDIS_URL,
        DATABASE_URL: databaseUrl,
        JWT_SECRET,
        LOCAL_DATA_DIR: dataDir,
        SQS_ENDPOINT: undefined,
        AWS_ENDPOINT_URL: undefined,
        EVENTS_API_KEY: EVENTS_KEY,
      });
      try {
        const urls = await local.ready;
        expect(local.output()).toContain('JWT_SECRET from the environment');
        expect(local.output()).toMatch(/\[local\] migrate +applied 0001_initial\.sql/);

        const health = await api(urls.http, '/health');
        expect(health.status).toBe(200);
        expect(health.json).toEqual({ status: 'ok' });
        expect(health.headers.get('apigw-requestid')).toBeTruthy();

        const auctionId = await createAuction(urls.http);

        // A watcher subscribes; a bid then reaches it through the fanout queue and the management API.
        const watcher = await connect(`${urls.ws}?token=${await token('watcher-1')}`);
        watcher.socket.send(JSON.stringify({ action: 'subscribe', topic: `auction:${auctionId}` }));
        const subscribed = await watcher.next((message) => message.type === 'subscribed');
        expect(subscribed).toMatchObject({ topic: `auction:${auctionId}`, snapshot: { id: auctionId } });

        const bid = await api(urls.http, `/auctions/${auctionId}/bids`, {
          method: 'POST',
          token: await token('bidder-1'),
          body: { amount: 1_000 },
        });
        expect(bid.status).toBe(201);
        const bidId = (bid.json.bid as { id: string }).id;

        const update = await watcher.next((message) => message.type === 'auction.updated');
        expect(update).toMatchObject({
          topic: `auction:${auctionId}`,
          auction: { id: auctionId, currentPrice: 1_000, leaderId: 'bidder-1' },
        });

        // The persist queue's poller hands the events to the writer, which records the bid.
        const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
        try {
          const row = await eventually(async () => {
            const [found] =
              await sql`select auction_id, bidder_id, amount::int as amount from bids where id = ${bidId}`;
            return found;
          });
          expect(row).toEqual({ auction_id: auctionId, bidder_id: 'bidder-1', amount: 1_000 });
        } finally {
          await sql.end();
        }

        // The demo signs its users in at the runtime's own OIDC issuer (issue 30): an ES256 token
        // with a kid, verified by the http function against the issuer's JWKS, as production's are.
        const signIn = await fetch(`${urls.demo}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: 'demo-user' }),
        });
        expect(signIn.status).toBe(200);
        const demoToken = ((await signIn.json()) as { token: string }).token;
        const header = JSON.parse(Buffer.from(demoToken.split('.')[0] ?? '', 'base64url').toString()) as {
          alg: string;
          kid?: string;
        };
        expect(header.alg).toBe('ES256');
        expect(header.kid).toBeTruthy();
        const demoBid = await api(urls.http, `/auctions/${auctionId}/bids`, {
          method: 'POST',
          token: demoToken,
          body: { amount: 1_100 },
        });
        expect(demoBid.status).toBe(201);
        expect((demoBid.json.bid as { bidderId: string }).bidderId).toBe('demo-user');

        // An invalid token is refused at the handshake, as API Gateway does on a non-2xx $connect.
        await expect(connect(`${urls.ws}?token=not-a-jwt`)).rejects.toThrow(/handshake refused: 401/);

        // The broadcast channels' AppSync Events API (issue 26): a subscriber with the API key the
        // runtime gives the functions receives what is published with SigV4 and the local credentials.
        expect(urls.events).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const events = { host: urls.events.replace('http://', ''), httpUrl: `${urls.events}/event` };
        const channelWatcher = await subscribeToChannel(events.host, '/live/auction/runtime-test');
        expect(
          (await signedPublish(events, { channel: '/live/auction/runtime-test', events: ['{"seq":1}'] }))
            .status,
        ).toBe(200);
        expect(await within(channelWatcher.data, 'the channel event')).toBe('{"seq":1}');
        channelWatcher.socket.close();

        watcher.socket.close();
        const pgid = local.child.pid as number;
        // npm itself dies of the group's SIGTERM; the runtime's own exit is its last lines.
        await local.stop();
        const output = local.output();
        expect(output).toMatch(/\[local\] summary +http: \d+ request\(s\)/);
        expect(output).toMatch(
          /\[local\] summary +live-sale-local-persist: [1-9]\d* message\(s\) in \d+ batch\(es\), [1-9]\d* processed, 0 failed/,
        );
        expect(output).toMatch(/\[local\] summary +ws: [1-9]\d* \$connect/);
        expect(output).toMatch(
          /\[local\] summary +account budget \(10000\/s, burst 5000\): taken http [1-9]/,
        );
        // The fan-out publishes the auction's updates to its channel too (no subscriber there).
        expect(output).toMatch(
          /\[local\] summary +events: [2-9]\d* publish\(es\) of \d+ event\(s\), 1 delivered in 1 socket write\(s\), 0 dropped/,
        );
        expect(output).toContain('[local] shutdown  stopped');
        expect(groupMembers(pgid)).toEqual([]);
      } finally {
        if (local.child.exitCode === null) await local.stop();
      }
    },
    START_TIMEOUT_MS + 60_000,
  );

  it(
    'without REDIS_URL and DATABASE_URL starts a private redis-server and embedded PostgreSQL, and leaves none behind',
    async () => {
      const local = startLocal({
        REDIS_URL: undefined,
        DATABASE_URL: undefined,
        JWT_SECRET,
        LOCAL_DATA_DIR: dataDir,
        SQS_ENDPOINT: undefined,
        AWS_ENDPOINT_URL: undefined,
      });
      try {
        const urls = await local.ready;
        const output = local.output();
        const redisPid = Number(/private redis-server, no persistence, pid (\d+)/.exec(output)?.[1]);
        const postgresPid = Number(/embedded PostgreSQL \d+, .*, pid (\d+)/.exec(output)?.[1]);
        expect(isRunning(redisPid)).toBe(true);
        expect(isRunning(postgresPid)).toBe(true);
        const nodePid = Number(/runtime-(\d+)/.exec(output)?.[1]);
        expect(existsSync(join(ROOT, '.local-build', `runtime-${nodePid}`))).toBe(true);

        expect((await api(urls.http, '/health')).status).toBe(200);
        const auctionId = await createAuction(urls.http);
        const bid = await api(urls.http, `/auctions/${auctionId}/bids`, {
          method: 'POST',
          token: await token('bidder-2'),
          body: { amount: 1_000 },
        });
        expect(bid.status).toBe(201);
        const sql = postgres(urls.postgres.replace(':***@', ':postgres@'), {
          max: 1,
          onnotice: () => undefined,
        });
        try {
          const row = await eventually(async () => {
            const [found] = await sql`select bidder_id from bids where auction_id = ${auctionId}`;
            return found;
          });
          expect(row).toEqual({ bidder_id: 'bidder-2' });
        } finally {
          await sql.end();
        }

        const pgid = local.child.pid as number;
        await local.stop();
        expect(local.output()).toContain('[local] shutdown  stopped');
        expect(isRunning(redisPid)).toBe(false);
        expect(isRunning(postgresPid)).toBe(false);
        expect(groupMembers(pgid)).toEqual([]);
        expect(existsSync(join(ROOT, '.local-build', `runtime-${nodePid}`))).toBe(false);
      } finally {
        if (local.child.exitCode === null) await local.stop();
      }
    },
    START_TIMEOUT_MS + 60_000,
  );

  it('refuses to bind beyond loopback (LOCAL_HOST=0.0.0.0) without --allow-remote, before it starts anything', async () => {
    const local = startLocal({
      LOCAL_HOST: '0.0.0.0',
      REDIS_URL,
      DATABASE_URL: databaseUrl,
      LOCAL_DATA_DIR: dataDir,
    });
    // Today's runtime would start, bound to every interface: stop it and fail.
    const outcome = await Promise.race([
      local.exited.then((code) => ({ code })),
      local.ready.then(
        () => ({ code: 'ready' as const }),
        () => ({ code: 'failed' as const }),
      ),
    ]);
    if (local.child.exitCode === null) await local.stop();
    expect(outcome.code).toBe(2);
    expect(local.output()).toContain('LOCAL_HOST=0.0.0.0 is not a loopback address');
    expect(local.output()).toContain('--allow-remote');
    expect(local.output()).not.toContain('[local] ready');
  });

  // Debian's node (20 here, past its end of life) stands for a laptop's other Node.
  const otherNode = (() => {
    try {
      const version = execFileSync('/usr/bin/node', ['-p', 'process.versions.node'], {
        encoding: 'utf8',
      }).trim();
      return Number(version.split('.')[0]) !== Number(process.versions.node.split('.')[0])
        ? version
        : undefined;
    } catch {
      return undefined;
    }
  })();
  it.skipIf(otherNode === undefined)(
    `on an unsupported Node (${otherNode}) says which version it needs and exits non-zero, before starting anything`,
    async () => {
      const local = startLocal({
        PATH: '/usr/bin:/bin',
        REDIS_URL,
        DATABASE_URL: databaseUrl,
        LOCAL_DATA_DIR: dataDir,
      });
      const code = await Promise.race([
        local.exited,
        local.ready.then(
          () => 'ready',
          () => 'failed',
        ),
      ]);
      if (local.child.exitCode === null) await local.stop();
      expect(code).not.toBe('ready');
      expect(await local.exited).not.toBe(0);
      const engines = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node as string;
      expect(local.output()).toContain(`This project needs Node ${engines}`);
      expect(local.output()).toContain(`this is Node ${otherNode}`);
      expect(local.output()).not.toContain('[local]');
    },
  );

  it('fails with one clear message when its HTTP port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const local = startLocal({
        HTTP_PORT: String(port),
        REDIS_URL,
        DATABASE_URL: databaseUrl,
        LOCAL_DATA_DIR: dataDir,
      });
      expect(await local.exited).toBe(1);
      expect(local.output()).toContain(`[local] error     port ${port} is already in use (HTTP_PORT)`);
      expect(local.output()).not.toContain('[local] ready');
    } finally {
      blocker.close();
    }
  });
});
