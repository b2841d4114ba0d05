/**
 * The client library on the broadcast tier, against the real pieces: the WebSocket gateway
 * invoking the ws handler, the HTTP app over real HTTP (real Redis, real SQS protocol), the fan-out
 * publishing to the local AppSync Events stand-in, which the client reads through a TCP proxy that
 * can kill its channel socket. BROADCAST_MIN_WATCHERS is 2: a topic's first watcher is direct, the
 * second subscribe turns it broadcast (the first then gets `delivery.changed`).
 *
 * The promise under test is the library's: every state once, in seq order, whichever path it came
 * by (a push, a channel event, `/events` catch-up); products newest only.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import {
  type AuctionUpdate,
  type Client,
  createClient,
  type ProductUpdate,
  type WebSocketConstructor,
} from '../client/src/index.js';
import { type EventsApi, startEventsApi } from '../local-aws/index.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { tokenFor } from './support/tokens.js';
import { type RealtimeStack, startRealtimeStack, waitFor } from './ws-helpers.js';

const API_KEY = 'client-broadcast-key';
let events: EventsApi;
let eventsProxy: TcpProxy;
let stack: RealtimeStack;
let server: ReturnType<typeof serve>;
let httpUrl: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  events = await startEventsApi({ port: 0, apiKey: API_KEY });
  eventsProxy = await startTcpProxy({ host: '127.0.0.1', port: events.port });
  stack = await startRealtimeStack({
    redisUrl: inject('redisUrl'),
    sqsEndpoint: inject('sqsEndpoint'),
    env: {
      EVENTS_HTTP_URL: events.httpUrl,
      // Subscribers reach the Events API through the proxy; the fan-out publishes directly.
      EVENTS_REALTIME_URL: `ws://127.0.0.1:${eventsProxy.port}/event/realtime`,
      EVENTS_API_KEY: API_KEY,
      BROADCAST_MIN_WATCHERS: '2',
      BROADCAST_PUBLISH_RATE: '10',
    },
  });
  server = serve({ fetch: stack.http.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokens.admin = stack.http.adminToken;
  for (const user of ['alice', 'bob', 'w1', 'w2', 'w3']) tokens[user] = await tokenFor(user);
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await stack?.stop();
  await eventsProxy?.close();
  await events?.stop();
});

const clientAs = (user: string) =>
  createClient({
    baseUrl: httpUrl,
    wsUrl: stack.gateway.url,
    token: tokens[user],
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newAuction() {
  return clientAs('admin').createAuction({
    id: `bcl-${ulid()}`,
    title: 'Broadcast lot',
    startingPrice: 1_000,
    minIncrement: 10,
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
}

async function bidInTurns(auctionId: string, count: number, pauseMs: number, onBid?: (n: number) => void) {
  const bidders = [clientAs('alice'), clientAs('bob')];
  let minimum = 1_000;
  let seq = 1;
  for (let n = 0; n < count; n++) {
    const result = await (bidders[n % 2] as Client).placeBid(auctionId, { amount: minimum });
    minimum = result.auction.minimumNextBid;
    seq = result.auction.seq;
    onBid?.(n + 1);
    await sleep(pauseMs);
  }
  return seq;
}

function expectEveryStateOnceInOrder(updates: AuctionUpdate[], firstSeq: number, lastSeq: number) {
  const seqs = updates.map((update) => update.seq);
  expect(seqs).toEqual(Array.from({ length: lastSeq - firstSeq + 1 }, (_, i) => firstSeq + i));
  for (const update of updates) expect(update.auction.seq).toBe(update.seq);
}

describe('the live subscription on the broadcast tier', () => {
  it('a direct watcher moved by delivery.changed and a watcher broadcast from its subscribe both see every state once, in order', async () => {
    const auction = await newAuction();
    const first = clientAs('w1').connect();
    const second = clientAs('w2').connect();
    const firstUpdates: AuctionUpdate[] = [];
    const secondUpdates: AuctionUpdate[] = [];
    try {
      first.subscribeAuction(auction.id, (update) => firstUpdates.push(update));
      await waitFor(() => firstUpdates.length === 1, 10_000);
      second.subscribeAuction(auction.id, (update) => secondUpdates.push(update));
      await waitFor(() => secondUpdates.length === 1, 10_000);
      const connectionsBefore = eventsProxy.connections();
      const lastSeq = await bidInTurns(auction.id, 20, 30);
      await waitFor(
        () => firstUpdates.at(-1)?.seq === lastSeq && secondUpdates.at(-1)?.seq === lastSeq,
        15_000,
      );
      await sleep(300); // nothing late or doubled after the last state
      expectEveryStateOnceInOrder(firstUpdates, 1, lastSeq);
      expectEveryStateOnceInOrder(secondUpdates, 1, lastSeq);
      // Both read the channel: one socket each to the Events API (the first after delivery.changed).
      expect(eventsProxy.connections() - connectionsBefore).toBeGreaterThanOrEqual(1);
      expect(secondUpdates.slice(1).every((update) => update.source !== 'snapshot')).toBe(true);
      expect(secondUpdates.some((update) => update.source === 'live')).toBe(true);
      expect(firstUpdates.at(-1)?.auction).toEqual(await clientAs('w1').getAuction(auction.id));
    } finally {
      first.close();
      second.close();
    }
  });

  it('a killed channel socket while bids go on: it reconnects, catches up through /events, every state once, in order', async () => {
    const auction = await newAuction();
    const watchers = [
      clientAs('w1').connect({ reconnectBaseMs: 100, reconnectMaxMs: 400 }),
      clientAs('w2').connect({ reconnectBaseMs: 100, reconnectMaxMs: 400 }),
    ];
    const updates: AuctionUpdate[][] = [[], []];
    try {
      watchers[0]?.subscribeAuction(auction.id, (update) => updates[0]?.push(update));
      await waitFor(() => updates[0]?.length === 1, 10_000);
      watchers[1]?.subscribeAuction(auction.id, (update) => updates[1]?.push(update));
      await waitFor(() => updates[1]?.length === 1, 10_000);
      let outage: Promise<void> | undefined;
      const lastSeq = await bidInTurns(auction.id, 30, 30, (n) => {
        if (n !== 10) return;
        // Every channel socket dies, and for 600 ms none gets through, while bids go on.
        outage = (async () => {
          eventsProxy.refuse(true);
          eventsProxy.cutAll();
          await sleep(600);
          eventsProxy.refuse(false);
        })();
      });
      await outage;
      await waitFor(() => updates.every((list) => list.at(-1)?.seq === lastSeq), 15_000);
      await sleep(300);
      for (const list of updates) expectEveryStateOnceInOrder(list, 1, lastSeq);
      expect(updates[1]?.some((update) => update.source === 'catch-up')).toBe(true);
    } finally {
      for (const live of watchers) live.close();
    }
  });

  it('products: a crowd reads the newest product from the channel', async () => {
    const product = await clientAs('admin').createProduct({ name: 'Broadcast item', price: 2_500, stock: 6 });
    const watchers = [clientAs('w1').connect(), clientAs('w2').connect(), clientAs('w3').connect()];
    const seen: ProductUpdate[][] = [[], [], []];
    try {
      watchers.forEach((live, i) => {
        live.subscribeProduct(product.id, (update) => seen[i]?.push(update));
      });
      await waitFor(() => seen.every((list) => list.length >= 1), 10_000);
      for (const user of ['alice', 'bob', 'w1'])
        await clientAs(user).reserveOrder({ productId: product.id, qty: 1 });
      await waitFor(() => seen.every((list) => list.at(-1)?.product.available === 3), 10_000);
      for (const list of seen) {
        const seqs = list.map((update) => update.seq);
        expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      }
    } finally {
      for (const live of watchers) live.close();
    }
  });
});
