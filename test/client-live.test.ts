/**
 * The client's live subscription against the real pieces: the local WebSocket gateway invoking the
 * ws handler, bids through the HTTP app served over real HTTP (real Redis, real SQS protocol), the
 * fan-out handler pushing through the management API. A TCP proxy in front of the gateway kills or
 * stalls the client's WebSocket while bids go on.
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
  type LiveStatus,
  type ProductUpdate,
  type WebSocketConstructor,
} from '../client/src/index.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { tokenFor } from './support/tokens.js';
import { type RealtimeStack, startRealtimeStack, waitFor } from './ws-helpers.js';

let stack: RealtimeStack;
let server: ReturnType<typeof serve>;
let wsProxy: TcpProxy;
let httpUrl: string;
let wsUrl: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  stack = await startRealtimeStack({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
  server = serve({ fetch: stack.http.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wsProxy = await startTcpProxy({ host: '127.0.0.1', port: stack.gateway.port });
  wsUrl = `ws://127.0.0.1:${wsProxy.port}`;
  tokens.admin = stack.http.adminToken;
  for (const user of ['alice', 'bob', 'watcher', 'u1', 'u2', 'u3']) tokens[user] = await tokenFor(user);
});
afterAll(async () => {
  await wsProxy?.close();
  await new Promise((resolve) => server?.close(resolve));
  await stack?.stop();
});

const clientAs = (user: string) =>
  createClient({
    baseUrl: httpUrl,
    wsUrl,
    token: tokens[user],
    // Node 20 has no global WebSocket: the ws package's has the WHATWG shape the client uses.
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newAuction(admin: Client) {
  return admin.createAuction({
    id: `live-${ulid()}`,
    title: 'Live lot',
    startingPrice: 1_000,
    minIncrement: 10,
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
}

/** Bids of alice and bob in turn, each at the minimum, until `count` were accepted. */
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
  const expected = Array.from({ length: lastSeq - firstSeq + 1 }, (_, i) => firstSeq + i);
  expect(seqs).toEqual(expected);
  for (const update of updates) expect(update.auction.seq).toBe(update.seq);
  // Prices only go up with seq, as the states the server made did.
  const prices = updates.map((update) => update.auction.currentPrice ?? 0);
  for (let i = 1; i < prices.length; i++) expect(prices[i]).toBeGreaterThan(prices[i - 1] as number);
}

describe('live subscription', () => {
  it('a killed WebSocket while bids go on: reconnects, catches up through /events, every state once, in order', async () => {
    const auction = await newAuction(clientAs('admin'));
    const watcher = clientAs('watcher');
    const live = watcher.connect({ reconnectBaseMs: 100, reconnectMaxMs: 400 });
    const updates: AuctionUpdate[] = [];
    const statuses: LiveStatus[] = [];
    live.onStatus((status) => statuses.push(status));
    live.subscribeAuction(auction.id, (update) => updates.push(update));
    try {
      await waitFor(() => updates.length === 1, 10_000);
      expect(updates[0]).toMatchObject({ seq: 1, source: 'snapshot' });
      const connectionsBefore = wsProxy.connections();

      let outage: Promise<void> | undefined;
      const lastSeq = await bidInTurns(auction.id, 40, 25, (n) => {
        if (n !== 12) return;
        // The gateway connection dies, and for 800 ms no new one gets through, while bids go on.
        outage = (async () => {
          wsProxy.refuse(true);
          wsProxy.cutAll();
          await sleep(800);
          wsProxy.refuse(false);
        })();
      });
      await outage;
      await waitFor(() => updates.at(-1)?.seq === lastSeq, 15_000);
      await sleep(300); // nothing late or doubled after the last state

      expectEveryStateOnceInOrder(updates, 1, lastSeq);
      expect(lastSeq).toBe(41);
      expect(updates.some((update) => update.source === 'catch-up')).toBe(true);
      expect(updates.filter((update) => update.source === 'catch-up').every((u) => u.lastBid !== null)).toBe(
        true,
      );
      expect(wsProxy.connections()).toBeGreaterThan(connectionsBefore);
      expect(statuses).toContain('reconnecting');
      expect(statuses.at(-1)).toBe('open');
      expect(updates.at(-1)?.auction).toEqual(await watcher.getAuction(auction.id));
    } finally {
      live.close();
    }
  });

  it('a stalled connection (no pong) is replaced; the state missed meanwhile arrives', async () => {
    const auction = await newAuction(clientAs('admin'));
    const live = clientAs('watcher').connect({
      pingIntervalMs: 200,
      pongTimeoutMs: 300,
      reconnectBaseMs: 50,
    });
    const updates: AuctionUpdate[] = [];
    live.subscribeAuction(auction.id, (update) => updates.push(update));
    try {
      await waitFor(() => updates.length === 1, 10_000);
      const connectionsBefore = wsProxy.connections();
      wsProxy.stallOpen();
      const lastSeq = await bidInTurns(auction.id, 3, 0);
      await waitFor(() => updates.at(-1)?.seq === lastSeq, 10_000);
      expect(wsProxy.connections()).toBeGreaterThan(connectionsBefore);
      expectEveryStateOnceInOrder(updates, 1, lastSeq);
    } finally {
      live.close();
    }
  });

  it('unsubscribe then subscribe of one topic: a push of the old subscription does not replay the history', async () => {
    const auction = await newAuction(clientAs('admin'));
    await bidInTurns(auction.id, 5, 0); // seq 6
    // A real ws socket whose outgoing messages can be held: the unsubscribe and the new subscribe
    // stay on the client while the server still pushes to the old subscription.
    let holding = false;
    const heldSends: Array<() => void> = [];
    const received: string[] = [];
    class HoldingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('message', (data) => received.push(String(data)));
      }
      override send(data: string) {
        if (holding) heldSends.push(() => super.send(data));
        else super.send(data);
      }
    }
    const live = createClient({
      baseUrl: httpUrl,
      wsUrl,
      token: tokens.watcher,
      WebSocket: HoldingWebSocket as unknown as WebSocketConstructor,
    }).connect();
    const first: AuctionUpdate[] = [];
    const second: AuctionUpdate[] = [];
    const stopFirst = live.subscribeAuction(auction.id, (update) => first.push(update));
    try {
      await waitFor(() => first.length === 1, 10_000);
      expect(first[0]).toMatchObject({ seq: 6, source: 'snapshot' });
      holding = true;
      stopFirst();
      live.subscribeAuction(auction.id, (update) => second.push(update));
      const bidAs = async (user: string) => {
        const { minimumNextBid } = await clientAs(user).getAuction(auction.id);
        return (await clientAs(user).placeBid(auction.id, { amount: minimumNextBid })).auction.seq;
      };
      expect(await bidAs('bob')).toBe(7); // pushed to the old subscription
      await waitFor(
        () => received.some((text) => text.includes('"auction.updated"') && text.includes('"seq":7')),
        10_000,
      );
      await sleep(300); // time for a wrong catch-up from seq 0 to deliver
      holding = false;
      for (const send of heldSends.splice(0)) send();
      await waitFor(() => second.length >= 1, 10_000);
      expect(await bidAs('alice')).toBe(8); // live, to the new subscription
      await waitFor(() => second.at(-1)?.seq === 8, 10_000);
      await sleep(200);
      expect(second.map((update) => [update.seq, update.source])).toEqual([
        [7, 'snapshot'],
        [8, 'live'],
      ]);
      expect(first).toHaveLength(1);
    } finally {
      live.close();
    }
  });

  it('products: ever-newer states as others buy; several listeners, one subscription', async () => {
    const admin = clientAs('admin');
    const product = await admin.createProduct({
      id: `live-${ulid()}`,
      name: 'Live item',
      price: 900,
      stock: 5,
    });
    const live = clientAs('watcher').connect();
    const first: ProductUpdate[] = [];
    const second: ProductUpdate[] = [];
    live.subscribeProduct(product.id, (update) => first.push(update));
    try {
      await waitFor(() => first.length === 1, 10_000);
      const stopSecond = live.subscribeProduct(product.id, (update) => second.push(update));
      await waitFor(() => second.length === 1, 2_000);
      expect(second[0]).toEqual(first[0]);
      for (const user of ['u1', 'u2', 'u3'])
        await clientAs(user).reserveOrder({ productId: product.id, qty: 1 });
      await waitFor(() => first.at(-1)?.product.available === 2, 10_000);
      const seqs = first.map((update) => update.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(first.map((update) => update.product.available)).toEqual(
        [...first.map((update) => update.product.available)].sort((a, b) => b - a),
      );
      await waitFor(() => second.at(-1)?.product.available === 2, 2_000);
      stopSecond();
    } finally {
      live.close();
    }
    expect(live.status).toBe('closed');
  });
});
