/**
 * The broadcast tier's publish path, all parts real: the fan-out's rate-capped publisher
 * (functions/realtime/use-cases/broadcast.ts) over the Redis ledger, the SigV4-signed HTTP publisher, and the
 * local AppSync Events stand-in, read by a raw WebSocket subscriber speaking the Events protocol.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { EventsPublisher } from '../functions/adapters/appsync/events-publisher.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { RedisBroadcastLedger } from '../functions/adapters/redis/redis-broadcast-ledger.js';
import { auctionKeys, productKeys } from '../functions/adapters/redis/redis-keys.js';
import type { EventEnvelope } from '../functions/domain/events.js';
import { channelOf } from '../functions/realtime/broadcast.js';
import { messageForEvent, parseTopic, type Topic } from '../functions/realtime/model.js';
import { type BroadcastDeps, broadcastTopic } from '../functions/realtime/use-cases/broadcast.js';
import { type EventsApi, startEventsApi } from '../local-aws/index.js';
import { auctionEvent } from './support/auction-events.js';

const API_KEY = 'test-broadcast-key';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let events: EventsApi;
let redis: RedisClient;
let publisher: EventsPublisher;
beforeAll(async () => {
  events = await startEventsApi({ port: 0, apiKey: API_KEY });
  redis = createRedisClient({ url: `${inject('redisUrl')}/9`, cluster: false });
  publisher = new EventsPublisher({
    url: events.httpUrl,
    region: 'us-east-1',
    credentials: async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }),
    timeoutMs: 2_000,
  });
});
afterAll(async () => {
  await publisher?.destroy();
  await redis?.quit();
  await events?.stop();
});

/** A raw subscriber of one channel: every event's text, in arrival order, with its arrival time. */
async function subscriber(channel: string) {
  const authorization = { host: events.host, 'x-api-key': API_KEY };
  const header = `header-${Buffer.from(JSON.stringify(authorization)).toString('base64url')}`;
  const socket = new WebSocket(events.realtimeUrl, ['aws-appsync-event-ws', header]);
  const received: { text: string; at: number }[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; event?: string };
      if (message.type === 'connection_ack')
        socket.send(JSON.stringify({ type: 'subscribe', id: randomUUID(), channel, authorization }));
      if (message.type === 'subscribe_success') resolve();
      if (message.type === 'subscribe_error') reject(new Error(data.toString()));
      if (message.type === 'data') received.push({ text: message.event as string, at: Date.now() });
    });
  });
  return { received, close: () => socket.close() };
}

async function until(check: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Writes an event into the entity's log as the Lua scripts do (score = seq). */
async function store(event: EventEnvelope) {
  const key =
    event.entityType === 'auction' ? auctionKeys(event.entityId).events : productKeys(event.entityId).events;
  await redis.zadd(key, event.seq, JSON.stringify(event));
}

function deps(overrides: Partial<BroadcastDeps> = {}): BroadcastDeps & { counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  return {
    ledger: new RedisBroadcastLedger(redis),
    publisher,
    intervalMs: 300,
    eventsPerPublish: 5,
    logger: silent,
    metrics: {
      count: (name, value) => {
        counts[name] = (counts[name] ?? 0) + value;
      },
    },
    ...overrides,
    counts,
  };
}

const topicOf = (name: string) => parseTopic(name) as Topic;
const text = (event: EventEnvelope) => JSON.stringify(messageForEvent(event));

describe('broadcast publish through the local Events API', () => {
  it('publishes an update once, as exactly the message a direct watcher gets', async () => {
    const id = `b-${Date.now()}`;
    const topic = topicOf(`auction:${id}`);
    const watcher = await subscriber(channelOf(topic) as string);
    const first = auctionEvent(id, 1);
    await store(first);
    const d = deps();
    await broadcastTopic(d, topic, first);
    await until(() => watcher.received.length === 1);
    expect(watcher.received[0]?.text).toBe(text(first));
    // The same update again (an SQS duplicate): nothing new to publish.
    await broadcastTopic(d, topic, first);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(watcher.received).toHaveLength(1);
    expect(d.counts.published).toBe(1);
    watcher.close();
  });

  it('caps the rate per topic (bursts of two): faster updates go out together a window later, in seq order', async () => {
    const id = `b-${Date.now()}-cap`;
    const topic = topicOf(`auction:${id}`);
    const watcher = await subscriber(channelOf(topic) as string);
    const d = deps({ intervalMs: 400 });
    const [e1, e2] = [1, 2].map((seq) => auctionEvent(id, seq)) as [EventEnvelope, EventEnvelope];
    await store(e1);
    await broadcastTopic(d, topic, e1);
    const firstAt = Date.now();
    await store(e2);
    await broadcastTopic(d, topic, e2); // the burst's second publish: at once
    await until(() => watcher.received.length === 2);
    expect((watcher.received[1]?.at ?? 0) - firstAt).toBeLessThan(300);
    // Three updates right after, each handed to its own fan-out invocation at once: one publish.
    const later = [3, 4, 5].map((seq) => auctionEvent(id, seq));
    for (const event of later) await store(event);
    await Promise.all(later.map((event) => broadcastTopic(d, topic, event)));
    await until(() => watcher.received.length === 5);
    expect(watcher.received.map((r) => r.text)).toEqual([e1, e2, ...later].map(text));
    expect(d.counts.published).toBe(3);
    expect((watcher.received[2]?.at ?? 0) - firstAt).toBeGreaterThanOrEqual(350);
    // ... and it arrived as one publish: the three states back to back.
    expect((watcher.received[4]?.at ?? 0) - (watcher.received[2]?.at ?? 0)).toBeLessThan(50);
    watcher.close();
  });

  it('always publishes the newest state: an update arriving while the publisher waits is sent by it', async () => {
    const id = `b-${Date.now()}-newest`;
    const topic = topicOf(`auction:${id}`);
    const watcher = await subscriber(channelOf(topic) as string);
    const d = deps({ intervalMs: 300, eventsPerPublish: 1 });
    const [e1, e2, e3, e4] = [1, 2, 3, 4].map((seq) => auctionEvent(id, seq)) as EventEnvelope[] as [
      EventEnvelope,
      EventEnvelope,
      EventEnvelope,
      EventEnvelope,
    ];
    for (const event of [e1, e2]) {
      await store(event);
      await broadcastTopic(d, topic, event); // the burst of two: both at once
    }
    await store(e3);
    const waiting = broadcastTopic(d, topic, e3); // holds the topic until its window
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store(e4);
    await broadcastTopic(d, topic, e4); // finds the topic held: leaves its state to the holder
    await waiting;
    await until(() => watcher.received.length === 3);
    // Newest only per publish (eventsPerPublish 1): seq 3 was conflated away.
    expect(watcher.received.map((r) => r.text)).toEqual([text(e1), text(e2), text(e4)]);
    watcher.close();
  });

  it('products: newest only; ids that cannot be a channel segment are not published', async () => {
    const id = `p-${Date.now()}`;
    const topic = topicOf(`product:${id}`);
    const watcher = await subscriber(channelOf(topic) as string);
    const product = (seq: number): EventEnvelope => ({
      eventId: `p:${id}:${seq}`,
      type: 'order.reserved',
      entityType: 'product',
      entityId: id,
      seq,
      occurredAt: Date.now(),
      payload: {
        product: {
          id,
          name: 'Item',
          price: '2500',
          stock: '10',
          available: String(10 - seq),
          perUserLimit: '2',
          saleStartsAt: String(Date.now() - 1_000),
          saleEndsAt: '',
          reservationTtlSeconds: '300',
          seq: String(seq),
          createdAt: String(Date.now() - 1_000),
        },
      },
    });
    const d = deps({ intervalMs: 300 });
    for (const seq of [1, 2]) {
      await store(product(seq));
      await broadcastTopic(d, topic, product(seq));
    }
    for (const seq of [3, 4]) await store(product(seq));
    await Promise.all([3, 4].map((seq) => broadcastTopic(d, topic, product(seq))));
    await until(() => watcher.received.length === 3);
    // Newest only: seq 3 came within the window of 4 and was conflated away.
    expect(watcher.received.map((r) => (JSON.parse(r.text) as { seq: number }).seq)).toEqual([1, 2, 4]);
    watcher.close();

    const odd = topicOf('auction:has_underscore');
    expect(channelOf(odd)).toBeNull();
    const before = events.stats().publishes;
    await broadcastTopic(d, odd, auctionEvent('has_underscore', 1));
    expect(events.stats().publishes).toBe(before);
  });

  it('a refused publish is not recorded: the next update publishes from the same point', async () => {
    const id = `b-${Date.now()}-refused`;
    const topic = topicOf(`auction:${id}`);
    const watcher = await subscriber(channelOf(topic) as string);
    const forged = new EventsPublisher({
      url: events.httpUrl,
      region: 'us-east-1',
      credentials: async () => ({ accessKeyId: 'local', secretAccessKey: 'wrong' }),
      timeoutMs: 2_000,
    });
    const e1 = auctionEvent(id, 1);
    await store(e1);
    const refused = deps({ publisher: forged });
    // Retried in place three times, then answered 'failed': the fan-out fails its records.
    expect(await broadcastTopic(refused, topic, e1)).toBe('failed');
    expect(refused.counts.publishFailed).toBe(4);
    await forged.destroy();
    const e2 = auctionEvent(id, 2);
    await store(e2);
    await broadcastTopic(deps(), topic, e2);
    await until(() => watcher.received.length === 2);
    expect(watcher.received.map((r) => r.text)).toEqual([text(e1), text(e2)]);
    watcher.close();
  });
});
