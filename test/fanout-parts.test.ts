/**
 * Waves split into parts (functions/realtime/use-cases/wave-parts.ts) on the real registry, on a single Redis
 * and on the 3-node Cluster. The queue of parts is held by the test, so that it decides when each
 * part arrives: late, twice, out of order, or never. The messenger records what every connection
 * received, in the order it was posted; each connection must see strictly increasing seqs.
 */
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { RedisConnectionRegistry } from '../functions/adapters/redis/connection-registry.js';
import { topicKeys } from '../functions/adapters/redis/redis-keys.js';
import type { EventEnvelope } from '../functions/domain/events.js';
import { parseTopic, type Topic } from '../functions/realtime/model.js';
import type { ConnectionMessenger, Counter } from '../functions/realtime/ports.js';
import { type FanOutDeps, fanOut } from '../functions/realtime/use-cases/fan-out.js';
import { encodeWavePart, type WavePart } from '../functions/realtime/wave-part.js';
import { auctionEvent } from './support/auction-events.js';

const modes = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

/**
 * Records every post: connection -> seqs in the order they were posted, and a global order.
 * `hold` keeps the posts to some connections waiting until `release()`, to keep a part in flight.
 */
function recordingMessenger() {
  const received = new Map<string, number[]>();
  const order: { connectionId: string; seq: number }[] = [];
  let held = new Set<string>();
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const messenger: ConnectionMessenger = {
    post: async (connectionId, data) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (held.has(connectionId)) await gate;
      const seq = (JSON.parse(Buffer.from(data).toString('utf8')) as { seq: number }).seq;
      received.set(connectionId, [...(received.get(connectionId) ?? []), seq]);
      order.push({ connectionId, seq });
      return 'delivered';
    },
  };
  const hold = (ids: readonly string[]) => {
    held = new Set(ids);
    gate = new Promise<void>((resolve) => {
      release = () => {
        held = new Set();
        resolve();
      };
    });
  };
  return { messenger, received, order, hold, release: () => release() };
}

function countingMetrics() {
  const counts: Record<string, number> = {};
  const metrics: Counter = {
    count: (name, value) => {
      counts[name] = (counts[name] ?? 0) + value;
    },
  };
  return { metrics, counts };
}

const silent = { warn: () => undefined, error: () => undefined };
const partRecord = (part: WavePart) => ({ messageId: ulid(), body: encodeWavePart(part) });
const eventRecord = (event: EventEnvelope) => ({ messageId: ulid(), body: JSON.stringify(event) });

describe.each(modes)('fan-out waves in parts on $name', (mode) => {
  let redis: RedisClient;
  beforeAll(() => {
    redis = createRedisClient({ url: mode.url(), cluster: mode.cluster });
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function watchedTopic(watchers: number): Promise<{ topic: Topic; auctionId: string; ids: string[] }> {
    const auctionId = ulid();
    const topic = parseTopic(`auction:${auctionId}`) as Topic;
    const registry = new RedisConnectionRegistry(redis);
    const ids = Array.from({ length: watchers }, () => ulid());
    await Promise.all(ids.map((id) => registry.register(topic, id, Date.now() + 600_000, 0)));
    return { topic, auctionId, ids };
  }

  function setup(options: { leaseMs?: number; refuse?: boolean } = {}) {
    const registry = new RedisConnectionRegistry(redis, {
      leaseMs: options.leaseMs ?? 15_000,
      topicTtlMs: 600_000,
    });
    const queued: WavePart[] = [];
    const recording = recordingMessenger();
    const { metrics, counts } = countingMetrics();
    const deps: FanOutDeps = {
      registry,
      messenger: recording.messenger,
      metrics,
      logger: silent,
      concurrency: 64,
      leaseWaitMs: 10_000,
      parts: {
        size: 1_000,
        queue: {
          send: async (parts) => {
            if (options.refuse) throw new Error('queue unavailable');
            queued.push(...parts);
          },
        },
      },
    };
    return { deps, registry, queued, counts, ...recording };
  }

  const increasing = (seqs: readonly number[]) =>
    seqs.every((seq, index) => index === 0 || seq > (seqs[index - 1] as number));

  it('splits a wave past the part size, holds the lease until the last part ends, never repeats a seq', async () => {
    const { topic, auctionId, ids } = await watchedTopic(2_500);
    const { deps, queued, received, order, counts, hold, release } = setup();
    hold(ids.slice(2_000)); // the third part stays in flight until released

    const first = fanOut(deps, [eventRecord(auctionEvent(auctionId, 1))]);
    await vi.waitFor(() => expect(order.length).toBe(2_000), { timeout: 5_000 });
    expect(queued.map((part) => part.index)).toEqual([1, 2]);
    // The pointers arrive (twice, as SQS may deliver): those parts have started already.
    await fanOut(deps, [...queued, ...queued].map(partRecord));
    expect(counts.duplicateParts).toBe(4);

    // A newer update finds the lease taken by the split wave and nothing left to help with: it waits.
    const newer = fanOut(deps, [eventRecord(auctionEvent(auctionId, 2))]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(order.some((post) => post.seq === 2)).toBe(false);
    expect(await redis.get(topicKeys(topic.name).lease)).not.toBeNull();

    release();
    await Promise.all([first, newer]);
    const lastSeqOne = order.findLastIndex((post) => post.seq === 1);
    const firstSeqTwo = order.findIndex((post) => post.seq === 2);
    expect(lastSeqOne).toBeLessThan(firstSeqTwo);
    for (const id of ids) expect(received.get(id)).toEqual([1, 2]);
    expect(counts.delivered).toBe(5_000);
    expect(await redis.get(topicKeys(topic.name).lease)).toBeNull();
    expect(await redis.exists(topicKeys(topic.name).parts)).toBe(0);
  });

  it('an invocation waiting for the lease sends the parts nobody started (a lone consumer never starves)', async () => {
    const { topic, auctionId, ids } = await watchedTopic(2_100);
    const { deps, registry, received, order } = setup();
    // The wave of seq 1 was claimed and split by an invocation that died before sending anything.
    const claim = await registry.claimWave(topic, 1, 'dead-wave', Date.now());
    expect(claim.status).toBe('claimed');
    const message = JSON.stringify({ type: 'update', topic: topic.name, seq: 1 });
    const receivers = [ids.slice(0, 1_000), ids.slice(1_000, 2_000), ids.slice(2_000)];
    expect(await registry.openParts(topic, 'dead-wave', message, receivers)).toBe(true);

    await fanOut(deps, [eventRecord(auctionEvent(auctionId, 2))]);
    for (const id of ids) expect(received.get(id)).toEqual([1, 2]);
    expect(order.findLastIndex((post) => post.seq === 1)).toBeLessThan(
      order.findIndex((post) => post.seq === 2),
    );
  });

  it('drops a part that arrives after its wave lost the lease: no older seq after a newer one', async () => {
    const { topic, auctionId, ids } = await watchedTopic(1_500);
    const { deps, registry, received, counts } = setup({ leaseMs: 300 });
    const claim = await registry.claimWave(topic, 1, 'slow-wave', Date.now());
    expect(claim.status).toBe('claimed');
    const message = JSON.stringify({ type: 'update', topic: topic.name, seq: 1 });
    await registry.openParts(topic, 'slow-wave', message, [ids.slice(0, 1_000), ids.slice(1_000)]);

    // The lease expires with both parts unstarted; the next wave claims it and completes.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await fanOut(deps, [eventRecord(auctionEvent(auctionId, 2))]);
    const late = { topic: topic.name, seq: 1, token: 'slow-wave', index: 1 };
    await fanOut(deps, [partRecord(late)]);
    expect(counts.stale).toBe(1);
    for (const id of ids) {
      expect(received.get(id)).toEqual([2]);
      expect(increasing(received.get(id) ?? [])).toBe(true);
    }
  });

  it('a part never starts under a lease its wave does not hold', async () => {
    const { topic, ids } = await watchedTopic(1_500);
    const { deps, registry, order, counts } = setup();
    await registry.claimWave(topic, 1, 'old-wave', Date.now());
    const message = JSON.stringify({ type: 'update', topic: topic.name, seq: 1 });
    await registry.openParts(topic, 'old-wave', message, [ids.slice(0, 1_000), ids.slice(1_000)]);
    // The lease alone is gone (expired) and a newer wave holds it, not split (yet).
    await redis.del(topicKeys(topic.name).lease);
    expect((await registry.claimWave(topic, 2, 'new-wave', Date.now())).status).toBe('claimed');

    await fanOut(deps, [partRecord({ topic: topic.name, seq: 1, token: 'old-wave', index: 1 })]);
    expect(counts.stale).toBe(1);
    expect(order).toHaveLength(0);
  });

  it('sends every part itself when the queue is down, and frees the lease at the end', async () => {
    const { topic, auctionId, ids } = await watchedTopic(2_200);
    const { deps, queued, received, counts } = setup({ refuse: true });

    await fanOut(deps, [eventRecord(auctionEvent(auctionId, 1))]);
    expect(queued).toHaveLength(0);
    expect(counts.parts).toBe(3);
    for (const id of ids) expect(received.get(id)).toEqual([1]);
    expect(await redis.get(topicKeys(topic.name).lease)).toBeNull();
  });

  it('refuses unreadable part pointers (to the dead-letter queue) and still runs the rest of the batch', async () => {
    const { auctionId, ids } = await watchedTopic(3);
    const { deps, received } = setup();
    const broken = { messageId: 'broken', body: JSON.stringify({ wavePart: { topic: 'nope', seq: 1 } }) };
    const result = await fanOut(deps, [broken, eventRecord(auctionEvent(auctionId, 1))]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'broken' }]);
    for (const id of ids) expect(received.get(id)).toEqual([1]);
  });
});
