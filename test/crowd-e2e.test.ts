/**
 * A crowd through the real local runtime (`npm run local` as a child process): 1,000 real
 * WebSocket watchers on one auction while a bid arrives every 100 ms. Every watcher must end on
 * the auction's final state with strictly increasing seqs, and no bid may fail. The latencies are
 * printed, not asserted (speed is for `npm run bench:fanout`, which also drives 10,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { percentile } from '../artillery/lib/samples.js';
import { type LocalProcess, type ReadyUrls, startLocal } from './support/local-process.js';
import { atFixedPace } from './support/paced.js';
import { createTestDatabase, type TestDatabase } from './support/postgres-database.js';

const WATCHERS = Number(process.env.CROWD_TEST_WATCHERS ?? 1_000);
const JWT_SECRET = 'crowd-test-secret-0123456789abcdef';
const REDIS_URL = inject('redisUrl');

const token = (sub: string, role?: string) =>
  sign({ sub, ...(role ? { role } : {}), exp: Math.floor(Date.now() / 1000) + 600 }, JWT_SECRET, 'HS256');

interface Watcher {
  socket: WebSocket;
  seqs: number[];
  latenciesMs: number[];
}

function watch(url: string, topic: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const watcher: Watcher = { socket, seqs: [], latenciesMs: [] };
    socket.on('open', () => socket.send(JSON.stringify({ action: 'subscribe', topic })));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as {
        type: string;
        seq?: number;
        lastBid?: { placedAt: string };
      };
      if (typeof message.seq === 'number') watcher.seqs.push(message.seq);
      if (message.type === 'subscribed') resolve(watcher);
      else if (message.type === 'error') reject(new Error(data.toString()));
      else if (message.lastBid) watcher.latenciesMs.push(Date.now() - Date.parse(message.lastBid.placedAt));
    });
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`handshake ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

let local: LocalProcess;
let urls: ReadyUrls;
let database: TestDatabase;
const dataDir = mkdtempSync(join(tmpdir(), 'crowd-e2e-'));
beforeAll(async () => {
  database = await createTestDatabase('live_sale_crowd');
  local = startLocal(
    {
      LOCAL_DATA_DIR: dataDir,
      JWT_SECRET,
      BID_RATE_LIMIT: '0',
      // Every watcher comes from 127.0.0.1: the per-address connection cap would refuse the 101st.
      WS_CONNECTIONS_PER_IP: '0',
      // This test is the direct path's crowd (every watcher pushed to through the WebSocket API);
      // the same crowd on the broadcast channel is bench:crowd's (API.md v1.2).
      BROADCAST_MIN_WATCHERS: String(WATCHERS + 1),
      REDIS_URL,
      DATABASE_URL: database.url,
      LOG_LEVEL: 'WARN',
    },
    { openFiles: true },
  );
  urls = await local.ready;
}, 150_000);
afterAll(async () => {
  await local?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a crowd through npm run local', () => {
  it(`${WATCHERS} watchers all end on the final state, seq strictly increasing, while bids keep their pace`, async () => {
    const admin = await token('crowd-admin', 'admin');
    const created = await fetch(`${urls.http}/auctions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        title: 'Crowd lot',
        startingPrice: 100,
        minIncrement: 1,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    });
    expect(created.status).toBe(201);
    const auctionId = ((await created.json()) as { auction: { id: string } }).auction.id;
    const bidders = await Promise.all(Array.from({ length: 10 }, (_, i) => token(`crowd-bidder-${i}`)));
    let amount = 100;
    const bidEvery100ms = async (count: number) => {
      const latencies: number[] = [];
      await atFixedPace({ total: count, perSecond: 10 }, async (i, dueAt) => {
        const response = await fetch(`${urls.http}/auctions/${auctionId}/bids`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bidders[i % 10]}` },
          body: JSON.stringify({ amount: amount++ }),
        });
        expect(response.status).toBe(201);
        await response.arrayBuffer();
        latencies.push(performance.now() - dueAt);
      });
      return latencies.sort((a, b) => a - b);
    };

    const alone = await bidEvery100ms(30);
    // Connected at 450/s: the gateway refuses more than 500 new connections a second, as AWS does.
    const watchers: Watcher[] = [];
    await atFixedPace({ total: WATCHERS, perSecond: 450, lanes: 50 }, async () => {
      watchers.push(await watch(urls.ws, `auction:${auctionId}`));
    });
    expect(watchers).toHaveLength(WATCHERS);

    const crowded = await bidEvery100ms(50);
    const finalSeq = (
      (await (await fetch(`${urls.http}/auctions/${auctionId}`)).json()) as { auction: { seq: number } }
    ).auction.seq;
    const deadline = Date.now() + 30_000;
    while (watchers.some((w) => w.seqs.at(-1) !== finalSeq) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const behind = watchers.filter((w) => w.seqs.at(-1) !== finalSeq).length;
    const disordered = watchers.filter((w) =>
      w.seqs.some((seq, i) => i > 0 && seq <= (w.seqs[i - 1] as number)),
    );
    const updates = watchers.flatMap((w) => w.latenciesMs).sort((a, b) => a - b);
    console.log(
      `crowd: ${WATCHERS} watchers; update-to-watcher p50 ${percentile(updates, 50)} ms, p99 ${percentile(updates, 99)} ms; ` +
        `bid p99 ${percentile(alone, 99).toFixed(1)} ms alone, ${percentile(crowded, 99).toFixed(1)} ms with the crowd`,
    );
    expect(behind).toBe(0);
    expect(disordered).toHaveLength(0);
    await Promise.all(
      watchers.map(
        (w) =>
          new Promise<void>((done) => {
            w.socket.once('close', () => done());
            w.socket.close();
          }),
      ),
    );
  }, 180_000);
});
