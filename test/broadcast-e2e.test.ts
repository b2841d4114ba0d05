/**
 * The broadcast tier end to end (API.md v1.2, "Broadcast channels for crowds"), all parts real: the
 * HTTP app (real Redis, real SQS protocol), the local WebSocket gateway invoking the ws handler, the
 * fan-out handler fed from the fanout queue, publishing to the local AppSync Events stand-in, read
 * by raw WebSocket subscribers speaking the Events protocol.
 *
 * BROADCAST_MIN_WATCHERS is 3 here: a topic's first two watchers are direct, the third subscribe
 * turns it broadcast.
 */
import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { type EventsApi, startEventsApi } from '../local-aws/index.js';
import { tokenFor } from './support/tokens.js';
import {
  type RealtimeStack,
  startRealtimeStack,
  subscribedClient,
  type TestClient,
  waitFor,
} from './ws-helpers.js';

const API_KEY = 'broadcast-e2e-key';
let events: EventsApi;
let stack: RealtimeStack;
beforeAll(async () => {
  events = await startEventsApi({ port: 0, apiKey: API_KEY });
  stack = await startRealtimeStack({
    redisUrl: inject('redisUrl'),
    sqsEndpoint: inject('sqsEndpoint'),
    env: {
      EVENTS_HTTP_URL: events.httpUrl,
      EVENTS_REALTIME_URL: events.realtimeUrl,
      EVENTS_API_KEY: API_KEY,
      BROADCAST_MIN_WATCHERS: '3',
      BROADCAST_PUBLISH_RATE: '20',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await events?.stop();
});

type Message = { type: string; topic?: string; seq?: number; delivery?: string; broadcast?: unknown };

/** A raw Events API subscriber: every event's JSON text in arrival order. */
async function channelWatcher(channel: string) {
  const authorization = { host: events.host, 'x-api-key': API_KEY };
  const header = `header-${Buffer.from(JSON.stringify(authorization)).toString('base64url')}`;
  const socket = new WebSocket(events.realtimeUrl, ['aws-appsync-event-ws', header]);
  const texts: string[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; event?: string };
      if (message.type === 'connection_ack')
        socket.send(JSON.stringify({ type: 'subscribe', id: randomUUID(), channel, authorization }));
      if (message.type === 'subscribe_success') resolve();
      if (message.type === 'data') texts.push(message.event as string);
    });
  });
  return {
    texts,
    seqs: () => texts.map((text) => (JSON.parse(text) as { seq: number }).seq),
    close: () => socket.close(),
  };
}

async function openAuction(id = `bc-${ulid()}`) {
  const created = await stack.http.request('/auctions', {
    method: 'POST',
    token: stack.http.adminToken,
    body: {
      id,
      title: 'Broadcast lot',
      startingPrice: 1_000,
      minIncrement: 100,
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    },
  });
  expect(created.status).toBe(201);
  return ((await created.json()) as { auction: { id: string; seq: number } }).auction;
}

let amount = 1_000;
async function bid(auctionId: string, user = `bidder-${ulid()}`) {
  amount += 100;
  const response = await stack.http.request(`/auctions/${auctionId}/bids`, {
    method: 'POST',
    token: await tokenFor(user),
    body: { amount },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { auction: { seq: number } }).auction.seq;
}

const topicMessages = (client: TestClient, topic: string) =>
  client.json<Message>().filter((message) => message.topic === topic);

describe('broadcast tier through the real pieces', () => {
  it('a small topic stays direct ("delivery":"direct"), and its channel carries exactly the pushed messages', async () => {
    const auction = await openAuction();
    const topic = `auction:${auction.id}`;
    const channel = await channelWatcher(`/live/auction/${auction.id}`);
    const direct = await subscribedClient(stack.gateway.url, topic);
    expect(topicMessages(direct, topic)[0]).toMatchObject({ type: 'subscribed', delivery: 'direct' });
    expect(topicMessages(direct, topic)[0]?.broadcast).toBeUndefined();
    const seqs: number[] = [];
    for (let i = 0; i < 4; i++) seqs.push(await bid(auction.id));
    const last = seqs.at(-1) as number;
    await waitFor(() => topicMessages(direct, topic).some((m) => m.seq === last), 5_000, 'pushes');
    await waitFor(() => channel.seqs().includes(last), 5_000, 'channel');
    // Every state reached the channel once, in order; each pushed message is byte for byte an event.
    // (The auction's creation may have been published before this watcher subscribed, or after.)
    const updates = channel.seqs().filter((seq) => seq > auction.seq);
    expect(updates).toEqual(seqs);
    const pushes = direct.messages.filter((text) => (JSON.parse(text) as Message).type === 'auction.updated');
    expect(pushes.length).toBeGreaterThan(0);
    for (const text of pushes) expect(channel.texts).toContain(text);
    channel.close();
    await direct.close();
  });

  it('the subscribe that reaches BROADCAST_MIN_WATCHERS turns the topic broadcast; the direct watchers get delivery.changed once, then no push', async () => {
    const auction = await openAuction();
    const topic = `auction:${auction.id}`;
    const channel = await channelWatcher(`/live/auction/${auction.id}`);
    const first = await subscribedClient(stack.gateway.url, topic);
    const second = await subscribedClient(stack.gateway.url, topic);
    for (const client of [first, second])
      expect(topicMessages(client, topic)[0]).toMatchObject({ type: 'subscribed', delivery: 'direct' });
    const third = await subscribedClient(stack.gateway.url, topic);
    const expected = {
      realtimeUrl: events.realtimeUrl,
      authorization: { host: events.host, 'x-api-key': API_KEY },
      channels: { auction: '/live/auction/{id}', product: '/live/product/{id}' },
    };
    expect(topicMessages(third, topic)[0]).toMatchObject({
      type: 'subscribed',
      seq: auction.seq,
      delivery: 'broadcast',
      broadcast: expected,
      snapshot: { id: auction.id },
    });
    const seqs: number[] = [];
    seqs.push(await bid(auction.id));
    await waitFor(
      () => [first, second].every((c) => topicMessages(c, topic).some((m) => m.type === 'delivery.changed')),
      5_000,
      'delivery.changed',
    );
    for (let i = 0; i < 3; i++) seqs.push(await bid(auction.id));
    const last = seqs.at(-1) as number;
    await waitFor(() => channel.seqs().includes(last), 5_000, 'channel');
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const client of [first, second]) {
      const after = topicMessages(client, topic).slice(1);
      expect(after).toEqual([
        { type: 'delivery.changed', topic, delivery: 'broadcast', broadcast: expected },
      ]);
    }
    expect(topicMessages(third, topic)).toHaveLength(1);
    // A newcomer reads the channel at once; the crowd's states are all on it, in order.
    const fourth = await subscribedClient(stack.gateway.url, topic);
    expect(topicMessages(fourth, topic)[0]).toMatchObject({ delivery: 'broadcast', seq: last });
    expect(channel.seqs().filter((seq) => seq > auction.seq)).toEqual(seqs);
    channel.close();
    for (const client of [first, second, third, fourth]) await client.close();
  });

  it('a direct watcher that subscribes again after the switch is answered broadcast and gets no delivery.changed later', async () => {
    const auction = await openAuction();
    const topic = `auction:${auction.id}`;
    const early = await subscribedClient(stack.gateway.url, topic);
    const others = [
      await subscribedClient(stack.gateway.url, topic),
      await subscribedClient(stack.gateway.url, topic),
    ];
    early.socket.send(JSON.stringify({ action: 'subscribe', topic }));
    await waitFor(() => topicMessages(early, topic).length === 2, 5_000, 'second subscribed');
    expect(topicMessages(early, topic)[1]).toMatchObject({ type: 'subscribed', delivery: 'broadcast' });
    const seq = await bid(auction.id);
    await waitFor(
      () => topicMessages(others[0] as TestClient, topic).some((m) => m.type === 'delivery.changed'),
      5_000,
      'the other direct watcher moved',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(topicMessages(early, topic)).toHaveLength(2);
    expect(seq).toBeGreaterThan(auction.seq);
    for (const client of [early, ...others]) await client.close();
  });

  it('a topic whose id cannot be a channel segment stays direct whatever its audience', async () => {
    const auction = await openAuction(`bc_${ulid()}`);
    const topic = `auction:${auction.id}`;
    const watchers = [];
    for (let i = 0; i < 4; i++) watchers.push(await subscribedClient(stack.gateway.url, topic));
    for (const watcher of watchers)
      expect(topicMessages(watcher, topic)[0]).toMatchObject({ type: 'subscribed', delivery: 'direct' });
    const seq = await bid(auction.id);
    for (const watcher of watchers)
      await waitFor(() => topicMessages(watcher, topic).some((m) => m.seq === seq), 5_000, 'push');
    for (const watcher of watchers) await watcher.close();
  });

  it('a publish that failed fails its records: SQS delivers them again and the state reaches the channel, no push repeated', async () => {
    const auction = await openAuction();
    const topic = `auction:${auction.id}`;
    const direct = await subscribedClient(stack.gateway.url, topic);
    const port = events.port;
    await events.stop(); // the Events API is down: every publish attempt fails
    const failuresBefore = stack.failures.length;
    const seq = await bid(auction.id);
    await waitFor(() => stack.failures.length > failuresBefore, 15_000, 'records failed');
    // The direct watcher got its push once, whatever happened to the publish.
    await waitFor(() => topicMessages(direct, topic).some((m) => m.seq === seq), 5_000, 'push');
    events = await startEventsApi({ port, apiKey: API_KEY });
    const channel = await channelWatcher(`/live/auction/${auction.id}`);
    // Redelivered after the poller's visibility timeout (5 s): published from the same point.
    await waitFor(() => channel.seqs().includes(seq), 20_000, 'the state on the channel');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(topicMessages(direct, topic).filter((m) => m.seq === seq)).toHaveLength(1);
    channel.close();
    await direct.close();
  });

  it('products: the channel carries product.updated, newest state last', async () => {
    const created = await stack.http.request('/products', {
      method: 'POST',
      token: stack.http.adminToken,
      body: { name: 'Broadcast item', price: 2_500, stock: 5 },
    });
    expect(created.status).toBe(201);
    const product = ((await created.json()) as { product: { id: string } }).product;
    const channel = await channelWatcher(`/live/product/${product.id}`);
    for (const user of ['p1', 'p2', 'p3']) {
      const order = await stack.http.request('/orders', {
        method: 'POST',
        token: await tokenFor(user),
        body: { productId: product.id, qty: 1 },
      });
      expect(order.status).toBe(201);
    }
    await waitFor(
      () =>
        channel.texts.some(
          (text) => (JSON.parse(text) as { product: { available: number } }).product.available === 2,
        ),
      5_000,
      'newest product',
    );
    const messages = channel.texts.map((text) => JSON.parse(text) as { type: string; seq: number });
    expect(messages.every((m) => m.type === 'product.updated')).toBe(true);
    expect(messages.map((m) => m.seq)).toEqual([...messages.map((m) => m.seq)].sort((a, b) => a - b));
    channel.close();
  });
});
