/**
 * The demo app in a real browser on the broadcast tier (API.md v1.2): `npm run local` with
 * BROADCAST_MIN_WATCHERS=0, so every topic is read from its channel of the local Events API. The
 * pages are the same code as in test/demo-browser.test.ts (the client library follows the channel
 * when `subscribed` says `delivery: "broadcast"`): two users bid against each other and each sees
 * the other's bid, a sale page counts down as others buy, and every update reaches the pages over
 * the Events API's WebSocket, none as a push of the WebSocket API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalProcess, type ReadyUrls, startLocal } from './support/local-process.js';
import { createTestDatabase, type TestDatabase } from './support/postgres-database.js';
import { tokenFor } from './support/tokens.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const JWT_SECRET = 'demo-broadcast-test-secret-0123456789';
const eventually = <T>(probe: () => T | Promise<T>, timeout = 15_000) =>
  expect.poll(probe, { timeout, interval: 20 });

let local: LocalProcess;
let urls: ReadyUrls;
let database: TestDatabase;
let browser: Browser;
const dataDir = mkdtempSync(join(tmpdir(), 'demo-broadcast-'));
const pageProblems: string[] = [];
const EXPECTED_REFUSAL_LOG = /^Failed to load resource: the server responded with a status of 409/;

/** Every WebSocket frame a page received, by the socket's URL. */
interface Frames {
  channel: string[];
  api: string[];
}

beforeAll(async () => {
  database = await createTestDatabase('live_sale_demo_broadcast');
  local = startLocal({
    LOCAL_DATA_DIR: dataDir,
    JWT_SECRET,
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: database.url,
    LOG_LEVEL: 'WARN',
    BROADCAST_MIN_WATCHERS: '0',
  });
  [urls, browser] = await Promise.all([
    local.ready,
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    }),
  ]);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string, token: string, body?: unknown) {
  const response = await fetch(`${urls.http}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function openPage(user: string, path: string): Promise<{ page: Page; frames: Frames }> {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  const frames: Frames = { channel: [], api: [] };
  page.on('pageerror', (error) => pageProblems.push(`${user}: uncaught ${error.stack ?? error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !EXPECTED_REFUSAL_LOG.test(message.text()))
      pageProblems.push(`${user}: console.error ${message.text()}`);
  });
  page.on('websocket', (socket) => {
    const into = socket.url().includes('/event/realtime') ? frames.channel : frames.api;
    socket.on('framereceived', (frame) => into.push(String(frame.payload)));
  });
  await page.goto(`${urls.demo}${path}?as=${user}`);
  return { page, frames };
}

const typesOf = (texts: string[]) => texts.map((text) => (JSON.parse(text) as { type: string }).type);

describe('the demo app on the broadcast channels', () => {
  it('npm run local names its Events API in the ready line and in GET /realtime', async () => {
    expect(urls.events).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const realtime = (await (await fetch(`${urls.http}/realtime`)).json()) as {
      websocketUrl: string;
      broadcast: { realtimeUrl: string } | null;
    };
    expect(realtime.websocketUrl).toBe(urls.ws);
    expect(realtime.broadcast?.realtimeUrl).toBe(`${urls.events.replace('http:', 'ws:')}/event/realtime`);
  });

  it('two users bid against each other; each sees the other’s bid, read from the channel', async () => {
    const created = await api('/auctions', await tokenFor('seller-1', { admin: true, secret: JWT_SECRET }), {
      title: 'Broadcast lot',
      startingPrice: 1_000,
      minIncrement: 100,
      endsAt: new Date(Date.now() + 300_000).toISOString(),
    });
    expect(created.status).toBe(201);
    const auctionId = (created.json.auction as { id: string }).id;
    const [alice, bob] = await Promise.all([
      openPage('alice', `/auctions/${auctionId}`),
      openPage('bob', `/auctions/${auctionId}`),
    ]);
    for (const { page } of [alice, bob]) {
      await eventually(() => page.getByTestId('connection').getAttribute('data-state')).toBe('live');
      await eventually(() => page.locator('[data-seq]').first().getAttribute('data-seq')).toBe('1');
    }
    for (const [amount, bidder, watcher, name] of [
      [1_000, alice, bob, 'alice'],
      [1_100, bob, alice, 'bob'],
      [1_200, alice, bob, 'alice'],
    ] as const) {
      await bidder.page.getByLabel('Your bid').fill(String(amount));
      await bidder.page.getByRole('button', { name: 'Place bid' }).click();
      await eventually(() => watcher.page.getByTestId('current-price').getAttribute('data-price')).toBe(
        String(amount),
      );
      await eventually(() => watcher.page.getByTestId('leader').textContent()).toBe(name);
    }
    for (const { frames } of [alice, bob]) {
      // The WebSocket API answered the subscribe with the channel to read, and pushed nothing of it.
      const subscribed = frames.api.map((text) => JSON.parse(text) as Record<string, unknown>);
      expect(subscribed.find((m) => m.type === 'subscribed')).toMatchObject({ delivery: 'broadcast' });
      expect(typesOf(frames.api)).not.toContain('auction.updated');
      // The updates came over the Events API's socket (the bidder's own page may read the last one
      // a moment after the other page showed it: waited for, not assumed).
      const channelPrices = () =>
        frames.channel
          .map((text) => JSON.parse(text) as { type: string; event?: string })
          .filter((m) => m.type === 'data')
          .map(
            (m) =>
              (JSON.parse(m.event as string) as { type: string; auction: { currentPrice: number } }).auction
                .currentPrice,
          );
      await eventually(channelPrices).toContain(1_200);
    }
    for (const { page } of [alice, bob]) await page.context().close();
  });

  it('the sale page counts units down as others buy, from the channel', async () => {
    const created = await api('/products', await tokenFor('shop', { admin: true, secret: JWT_SECRET }), {
      name: 'Broadcast sneakers',
      price: 12_900,
      stock: 4,
    });
    expect(created.status).toBe(201);
    const productId = (created.json.product as { id: string }).id;
    const dave = await openPage('dave', `/products/${productId}`);
    await eventually(() => dave.page.getByTestId('available').getAttribute('data-available')).toBe('4');
    for (const [i, buyer] of ['erin', 'frank'].entries()) {
      const order = await api('/orders', await tokenFor(buyer, { secret: JWT_SECRET }), {
        productId,
        qty: 1,
      });
      expect(order.status).toBe(201);
      await eventually(() => dave.page.getByTestId('available').getAttribute('data-available')).toBe(
        String(3 - i),
      );
    }
    expect(typesOf(dave.frames.api)).not.toContain('product.updated');
    expect(dave.frames.channel.some((text) => text.includes('product.updated'))).toBe(true);
    await dave.page.context().close();
  });

  it('no page had an uncaught error or a console error', () => {
    if (pageProblems.length) console.log(pageProblems.join('\n'));
    expect(pageProblems).toEqual([]);
  });
});
