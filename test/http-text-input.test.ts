import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { writesDuring } from './support/redis-writes.js';
import { signedWebhookHeaders } from './support/webhooks.js';

type ErrorBody = { error: { code: string; message: string } };

/**
 * Issue 19, items 1 (edge part), 2 and 7 (the price sum): text that PostgreSQL or Redis' cjson
 * cannot store is refused with 400 at the edge, before any Redis write, on every route that takes
 * text.
 */
describe('text the stores cannot hold is refused at the edge', () => {
  let fx: HttpFixture;
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  /** Raw JSON, so that a lone surrogate travels as the `\ud800` escape a client would send. */
  const rawJson = (fields: Record<string, string>) =>
    `{${Object.entries(fields)
      .map(([name, value]) => `"${name}":${value}`)
      .join(',')}}`;

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
  });
  afterAll(() => fx.close());

  /** Sends the request and checks it is a 400 naming `field` and that Redis has no new key. */
  async function refusedWithoutWrite(path: string, body: string, field: string, token = fx.adminToken) {
    const { result: response, writes } = await writesDuring(fx.redis, async () =>
      fx.request(path, { method: 'POST', token, body }),
    );
    const json = (await response.json()) as ErrorBody;
    expect(response.status, `${path} ${body}`).toBe(400);
    expect(json.error.code).toBe('invalid_request');
    expect(json.error.message).toContain(field);
    expect(writes).toEqual([]);
  }

  it.each([
    ['a NUL', '"Lot \\u0000 one"'],
    ['a lone high surrogate', '"Lot \\ud800"'],
    ['a lone low surrogate', '"\\udfff Lot"'],
    ['a newline', '"Lot\\none"'],
    ['DEL', '"Lot\\u007f"'],
    ['a C1 control', '"Lot\\u0085"'],
  ])('auction title with %s: 400, nothing written', async (_name, title) => {
    await refusedWithoutWrite(
      '/auctions',
      rawJson({ title, startingPrice: '100', minIncrement: '10', endsAt: `"${inAnHour()}"` }),
      'title',
    );
  });

  it.each([
    ['a NUL', '"Sneaker\\u0000"'],
    ['a lone surrogate', '"Sneaker \\ud83d"'],
    ['a tab', '"Snea\\tker"'],
  ])('product name with %s: 400, nothing written', async (_name, name) => {
    await refusedWithoutWrite('/products', rawJson({ name, price: '100', stock: '5' }), 'name');
  });

  it('a lone surrogate anywhere in a body is 400, even in a field the route ignores', async () => {
    await refusedWithoutWrite(
      '/auctions',
      rawJson({
        title: '"ok"',
        startingPrice: '100',
        minIncrement: '10',
        endsAt: `"${inAnHour()}"`,
        '\\ud800': '1',
      }),
      'property name',
    );
    const webhook = rawJson({
      id: '"evt_1"',
      type: '"payment.succeeded"',
      orderId: '"ORDER1"',
      amount: '100',
      note: '"\\udc00"',
    });
    const { result: response, writes } = await writesDuring(fx.redis, async () =>
      fx.app.request('/payments/webhook', {
        method: 'POST',
        headers: signedWebhookHeaders(webhook),
        body: webhook,
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.message).toContain('note');
    expect(writes).toEqual([]);
  });

  it('accepts well-formed text beyond ASCII (accents, emoji as surrogate pairs, CJK)', async () => {
    const auction = await fx.createAuction({ title: 'Édition limitée 😀 限定' });
    expect((auction as unknown as { title: string }).title).toBe('Édition limitée 😀 限定');
    // The write recorder sees the app's traffic: an accepted create is writes.
    const { result: response, writes } = await writesDuring(fx.redis, async () =>
      fx.request('/products', {
        method: 'POST',
        token: fx.adminToken,
        body: { name: 'Sneaker 👟 ä', price: 100, stock: 1 },
      }),
    );
    expect(response.status).toBe(201);
    expect(writes.length).toBeGreaterThan(0);
  });

  it('refuses an auction whose startingPrice + minIncrement is not a safe integer', async () => {
    await refusedWithoutWrite(
      '/auctions',
      JSON.stringify({
        title: 'Big lot',
        startingPrice: Number.MAX_SAFE_INTEGER - 5,
        minIncrement: 10,
        endsAt: inAnHour(),
      }),
      'minIncrement',
    );
    const atTheEdge = await fx.createAuction({
      startingPrice: Number.MAX_SAFE_INTEGER - 10,
      minIncrement: 10,
    });
    expect(atTheEdge.id).toBeTruthy();
  });
});
