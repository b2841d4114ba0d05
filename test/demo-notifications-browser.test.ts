/**
 * Issue 27 in the demo, in a real browser (Debian's chromium driven by playwright-core) against one
 * real `npm run local`: the auction room toasts "You've been outbid on X: bid again" and "You won X
 * for 10.00"; the sale page shows a payment and an expiry as they happen. No page error allowed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signWebhook } from '../functions/http/webhook-signature.js';
import { type LocalProcess, type ReadyUrls, startLocal } from './support/local-process.js';
import { createTestDatabase, type TestDatabase } from './support/postgres-database.js';
import { tokenFor } from './support/tokens.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const JWT_SECRET = 'demo-notifications-secret-0123456789';
const WEBHOOK_SECRET = 'demo-notifications-webhook-0123456789';
const eventually = <T>(probe: () => T | Promise<T>, timeout = 20_000) =>
  expect.poll(probe, { timeout, interval: 50 });

let local: LocalProcess;
let urls: ReadyUrls;
let database: TestDatabase;
let browser: Browser;
const dataDir = mkdtempSync(join(tmpdir(), 'demo-notifications-'));
const pageProblems: string[] = [];
/**
 * Users of this run only: the tests share one Redis across runs while each run has a fresh
 * database, and a user's push floor in Redis (`pushed`) must not be an earlier run's.
 */
const run = Date.now().toString(36).slice(-6);
const [ALICE, BOB, CAROL] = ['alice', 'bob', 'carol'].map((name) => `${name}${run}`) as [
  string,
  string,
  string,
];

async function api(
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${urls.http}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const admin = () => tokenFor('seller-n27', { admin: true, secret: JWT_SECRET });

async function createAuction(title: string, endsInMs: number): Promise<string> {
  const created = await api('/auctions', await admin(), {
    title,
    startingPrice: 1_000,
    minIncrement: 100,
    endsAt: new Date(Date.now() + endsInMs).toISOString(),
  });
  expect(created.status).toBe(201);
  return (created.json.auction as { id: string }).id;
}

async function openPage(user: string, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageProblems.push(`${user}: uncaught ${error.stack ?? error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 409/.test(message.text()))
      pageProblems.push(`${user}: console.error ${message.text()}`);
  });
  await page.goto(`${urls.demo}${path}?as=${user}`);
  await eventually(() => page.getByTestId('connection').getAttribute('data-state')).toBe('live');
  // The `me` subscription registered (what comes after it is delivered, what came before is not).
  await eventually(() => page.getByTestId('toasts').getAttribute('data-me-seq')).not.toBeNull();
  return page;
}

const toasts = (page: Page) => page.getByTestId('toast').allTextContents();

beforeAll(async () => {
  database = await createTestDatabase('live_sale_demo_n27');
  local = startLocal({
    LOCAL_DATA_DIR: dataDir,
    JWT_SECRET,
    WEBHOOK_SECRET,
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: database.url,
    LOG_LEVEL: 'WARN',
  });
  [urls, browser] = await Promise.all([
    local.ready,
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    }),
  ]);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the demo shows personal notifications', () => {
  it('auction room: "You\'ve been outbid on X: bid again", then "You won X for 12.00"', async () => {
    const lamp = await createAuction('Brass lamp', 300_000);
    const watch = await createAuction('Pocket watch', 6_000);
    const page = await openPage(ALICE, `/auctions/${lamp}`);
    await page.getByLabel('Your bid').fill('1000');
    await page.getByRole('button', { name: 'Place bid' }).click();
    await eventually(() => page.getByTestId('leader').getAttribute('data-leader')).toBe(ALICE);
    const bob = await api(`/auctions/${lamp}/bids`, await tokenFor(BOB, { secret: JWT_SECRET }), {
      amount: 1_100,
    });
    expect(bob.status).toBe(201);
    await eventually(() => toasts(page)).toContain("You've been outbid on Brass lamp: bid again");
    const link = page.getByTestId('toast').filter({ hasText: 'outbid' }).getByRole('link');
    expect(await link.getAttribute('href')).toBe(`/auctions/${lamp}?as=${ALICE}`);
    expect(await page.getByTestId('toast').first().getAttribute('data-kind')).toBe('outbid');

    // Alice wins the watch while her page shows the lamp: the toast comes on whatever page is open.
    const won = await api(`/auctions/${watch}/bids`, await tokenFor(ALICE, { secret: JWT_SECRET }), {
      amount: 1_200,
    });
    expect(won.status).toBe(201);
    await eventually(() => toasts(page), 20_000).toContain('You won Pocket watch for 12.00');
    expect(pageProblems).toEqual([]);
  });

  it('sale page: a payment and an expiry show on the order as they happen', async () => {
    const created = await api('/products', await admin(), {
      name: 'Sneaker',
      price: 5_000,
      stock: 5,
      perUserLimit: 2,
      reservationTtlSeconds: 2,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const productId = (created.json.product as { id: string }).id;
    const page = await openPage(CAROL, `/products/${productId}`);
    const buy = async () => {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && /\/orders$/.test(r.url())),
        page.getByRole('button', { name: 'Buy now' }).click(),
      ]);
      return ((await response.json()) as { order: { id: string; amount: number } }).order;
    };
    const paid = await buy();
    const raw = JSON.stringify({
      id: `evt-${paid.id}`,
      type: 'payment.succeeded',
      orderId: paid.id,
      amount: paid.amount,
    });
    const signature = signWebhook(raw, WEBHOOK_SECRET, Math.floor(Date.now() / 1000));
    const webhook = await api('/payments/webhook', undefined, raw, { 'x-webhook-signature': signature });
    expect(webhook.status).toBe(200);
    const order = (id: string) => page.locator(`[data-testid=order][data-order-id="${id}"]`);
    await eventually(() => order(paid.id).getAttribute('data-status')).toBe('paid');
    await eventually(() => toasts(page)).toContain('Payment received for Sneaker for 50.00');
    await eventually(() => page.getByTestId('order-message').textContent()).toContain('is paid');

    const lapsed = await buy();
    await eventually(() => order(lapsed.id).getAttribute('data-status'), 25_000).toBe('expired');
    await eventually(() => toasts(page), 10_000).toContain('Your reservation of Sneaker expired');
    expect(pageProblems).toEqual([]);
  });
});
