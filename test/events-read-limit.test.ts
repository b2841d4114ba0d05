/**
 * Issue 24 item 10: `/auctions/{id}/events?since=0` reads up to 500 events from the auction's shard
 * per call, for anyone. Reads are limited per caller (the source address without a token, else the
 * user), counted on the caller's own slot before the auction's shard is touched: a flood costs the
 * flooder its budget, not the item. Real HTTP (so the source address is the socket's), real Redis.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { commandsDuring } from './support/redis-writes.js';
import { tokenFor } from './support/tokens.js';

let http: HttpFixture;
let server: ReturnType<typeof serve>;
let url: string;

beforeAll(async () => {
  http = await createHttpFixture({
    redisUrl: inject('redisUrl'),
    sqsEndpoint: inject('sqsEndpoint'),
    eventsReadRateLimit: 3,
    eventsReadRateWindowMs: 60_000,
  });
  server = serve({ fetch: http.app.fetch, port: 0, hostname: '127.0.0.2' });
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await http?.close();
});

describe('GET /auctions/{id}/events, limited per caller', () => {
  it('the 4th anonymous read of a window from one address is 429 with Retry-After, and reads nothing of the auction', async () => {
    const auction = await http.createAuction();
    // A fresh source address per run (the whole 127.0.0.0/8 is local): the counter lives for the
    // window in the shared Redis.
    const source = `127.0.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
    const from = new Agent({ localAddress: source });
    const read = (headers: Record<string, string> = {}) =>
      undiciFetch(`${url}/auctions/${auction.id}/events?since=0`, { dispatcher: from, headers });
    for (let i = 0; i < 3; i++) expect((await read()).status).toBe(200);
    const { result, commands } = await commandsDuring(http.redis, async () => {
      const answers = [];
      for (let i = 0; i < 20; i++) answers.push(await read());
      return answers;
    });
    for (const answer of result) {
      expect(answer.status).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await answer.json()).toMatchObject({ error: { code: 'rate_limited' } });
    }
    // The refusals touched no key of the auction: only the caller's counter.
    expect(
      commands.filter((command) => command.args.some((arg) => String(arg).startsWith(`{a:${auction.id}}`))),
    ).toEqual([]);
    expect(commands.length).toBeGreaterThan(0);

    // A signed-in user is counted on their own: not refused for the address's reads.
    const token = await tokenFor(`events-reader-${source}`);
    expect((await read({ authorization: `Bearer ${token}` })).status).toBe(200);
    // A bad token is a 401, not a way around the limit.
    expect((await read({ authorization: 'Bearer not.a.token' })).status).toBe(401);
    await from.close();
  });
});
