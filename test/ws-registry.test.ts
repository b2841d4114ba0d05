import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { RedisConnectionRegistry } from '../functions/adapters/redis/connection-registry.js';
import { connectionKeys, topicKeys } from '../functions/adapters/redis/redis-keys.js';
import { parseTopic, type Topic } from '../functions/realtime/model.js';

const connectionTopicsKey = (connectionId: string) => connectionKeys(connectionId).topics;

const modes = [
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
];

describe.each(modes)('connection registry on $name', (mode) => {
  let redis: RedisClient;
  let registry: RedisConnectionRegistry;
  beforeAll(() => {
    redis = createRedisClient({ url: mode.url(), cluster: mode.cluster });
    registry = new RedisConnectionRegistry(redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  const newTopic = (): Topic => parseTopic(`auction:${ulid()}`) as Topic;
  const far = () => Date.now() + 600_000;
  const claim = (topic: Topic, seq: number, token = ulid()) =>
    registry.claimWave(topic, seq, token, Date.now()).then(async (result) => {
      if (result.status === 'claimed') await registry.releaseWave(topic, token);
      return result;
    });

  it('limits a connection to the given number of topics and refreshes its expiry', async () => {
    const connection = ulid();
    const topics = Array.from({ length: 3 }, newTopic);
    const expiresAt = far();
    expect(await registry.addTopic(connection, topics[0] as Topic, 2, expiresAt)).toBe('added');
    expect(await registry.addTopic(connection, topics[0] as Topic, 2, expiresAt)).toBe('exists');
    expect(await registry.addTopic(connection, topics[1] as Topic, 2, expiresAt)).toBe('added');
    expect(await registry.addTopic(connection, topics[2] as Topic, 2, expiresAt)).toBe('limit');
    const ttl = await redis.pttl(connectionTopicsKey(connection));
    expect(ttl).toBeGreaterThan(590_000);
    await registry.removeTopic(connection, topics[0] as Topic);
    expect(await registry.addTopic(connection, topics[2] as Topic, 2, expiresAt)).toBe('added');
  });

  it('hasConnections: false for a topic nobody registered on, true while one connection is registered, false once the last one leaves', async () => {
    const topic = newTopic();
    const [a, b] = [ulid(), ulid()];
    expect(await registry.hasConnections(topic)).toBe(false);
    await registry.register(topic, a, far(), Date.now() + 10_000);
    expect(await registry.hasConnections(topic)).toBe(true);
    await registry.register(topic, b, far(), Date.now() + 10_000);
    await registry.leave(topic, [a]);
    expect(await registry.hasConnections(topic)).toBe(true);
    await registry.leave(topic, [b]);
    expect(await registry.hasConnections(topic)).toBe(false);
  });

  it('skips pending subscriptions and those whose floor is not older than the wave', async () => {
    const topic = newTopic();
    const [a, b, c] = [ulid(), ulid(), ulid()];
    for (const id of [a, b, c]) await registry.register(topic, id, far(), Date.now() + 10_000);
    // a: the snapshot it got had seq 5; b: seq 3; c stays pending
    expect(await registry.activate(topic, a, 5, 0)).toEqual({ status: 'active', pushed: 0 });
    expect(await registry.activate(topic, b, 3, 0)).toEqual({ status: 'active', pushed: 0 });

    const wave4 = await claim(topic, 4);
    expect(wave4).toEqual({ status: 'claimed', pushed: 4, connectionIds: [b] });
    expect(await claim(topic, 4)).toEqual({ status: 'stale', pushed: 4 });
    expect(await claim(topic, 3)).toEqual({ status: 'stale', pushed: 4 });
    const wave6 = await claim(topic, 6);
    expect(wave6.status === 'claimed' && [...wave6.connectionIds].sort()).toEqual([a, b].sort());

    // c sent its snapshot (seq 5) while waves 4 and 6 ran: it is behind and stays pending
    expect(await registry.activate(topic, c, 5, Date.now() + 10_000)).toEqual({
      status: 'behind',
      pushed: 6,
    });
    const wave7 = await claim(topic, 7);
    expect(wave7.status === 'claimed' && wave7.connectionIds).not.toContain(c);
    expect(await registry.activate(topic, c, 7, Date.now() + 10_000)).toEqual({
      status: 'active',
      pushed: 7,
    });
    expect(await claim(topic, 7)).toMatchObject({ status: 'stale' });
    const wave8 = await claim(topic, 8);
    expect(wave8.status === 'claimed' && wave8.connectionIds).toContain(c);
    // floors are dropped once a wave covered them
    expect(await redis.hlen(topicKeys(topic.name).floors)).toBe(0);
  });

  it('forced activation takes the newest wave as floor', async () => {
    const topic = newTopic();
    const id = ulid();
    await registry.register(topic, id, far(), Date.now() + 10_000);
    await claim(topic, 9);
    expect(await registry.activate(topic, id, 5, 0, true)).toEqual({ status: 'behind', pushed: 9 });
    expect(await redis.hget(topicKeys(topic.name).floors, id)).toBe('9');
    expect((await claim(topic, 10)).status === 'claimed').toBe(true);
  });

  it('treats a pending subscription whose deadline passed as active', async () => {
    const topic = newTopic();
    const id = ulid();
    await registry.register(topic, id, far(), Date.now() - 1);
    expect(await claim(topic, 1)).toEqual({ status: 'claimed', pushed: 1, connectionIds: [id] });
  });

  it('one wave at a time per topic: a second claim is busy until the first is released', async () => {
    const topic = newTopic();
    const id = ulid();
    await registry.register(topic, id, far(), 0);
    const first = await registry.claimWave(topic, 1, 'wave-1', Date.now());
    expect(first.status).toBe('claimed');
    expect(await registry.register(topic, ulid(), far(), 0)).toBe('wave-1');
    expect(await registry.leaseHolder(topic)).toBe('wave-1');
    expect(await registry.claimWave(topic, 2, 'wave-2', Date.now())).toEqual({ status: 'busy', pushed: 1 });
    await registry.releaseWave(topic, 'wave-2'); // not the holder: no effect
    expect(await registry.leaseHolder(topic)).toBe('wave-1');
    await registry.releaseWave(topic, 'wave-1');
    expect((await registry.claimWave(topic, 2, 'wave-2', Date.now())).status).toBe('claimed');
  });

  it('drops expired connections at the next wave and keeps the live ones', async () => {
    const topic = newTopic();
    const [live, expired] = [ulid(), ulid()];
    await registry.register(topic, live, far(), 0);
    await registry.register(topic, expired, Date.now() - 1_000, 0);
    expect(await claim(topic, 1)).toEqual({ status: 'claimed', pushed: 1, connectionIds: [live] });
    expect(await redis.zcard(topicKeys(topic.name).conns)).toBe(1);
  });

  it('touch pushes the expiry of every registration forward, never re-adding a left topic', async () => {
    const connection = ulid();
    const [kept, left] = [newTopic(), newTopic()];
    const soon = Date.now() + 60_000;
    for (const topic of [kept, left]) {
      await registry.addTopic(connection, topic, 50, soon);
      await registry.register(topic, connection, soon, 0);
    }
    await registry.leave(left, [connection]);
    const later = Date.now() + 300_000;
    await registry.touch(connection, later);
    expect(Number(await redis.zscore(topicKeys(kept.name).conns, connection))).toBe(later);
    expect(await redis.zscore(topicKeys(left.name).conns, connection)).toBeNull();
    expect(await redis.pttl(connectionTopicsKey(connection))).toBeGreaterThan(200_000);
  });

  it('forget removes a connection from all its topics and deletes its set', async () => {
    const connection = ulid();
    const topics = [newTopic(), newTopic()];
    for (const topic of topics) {
      await registry.addTopic(connection, topic, 50, far());
      await registry.register(topic, connection, far(), Date.now() + 10_000);
    }
    await registry.forget(connection);
    for (const topic of topics) {
      expect(await redis.zscore(topicKeys(topic.name).conns, connection)).toBeNull();
      expect(await redis.hget(topicKeys(topic.name).floors, connection)).toBeNull();
    }
    expect(await redis.exists(connectionTopicsKey(connection))).toBe(0);
  });

  it('activate says gone for a connection that left the topic', async () => {
    const topic = newTopic();
    const id = ulid();
    await registry.register(topic, id, far(), 0);
    await registry.leave(topic, [id]);
    expect((await registry.activate(topic, id, 1, 0)).status).toBe('gone');
  });

  it('handles thousands of connections in one wave', async () => {
    const topic = newTopic();
    const ids = Array.from({ length: 5_000 }, () => ulid());
    await Promise.all(ids.map((id) => registry.register(topic, id, far(), 0)));
    const wave = await claim(topic, 1);
    expect(wave.status === 'claimed' && wave.connectionIds.length).toBe(5_000);
    await registry.leave(topic, ids.slice(0, 2_500));
    const next = await claim(topic, 2);
    expect(next.status === 'claimed' && next.connectionIds.length).toBe(2_500);
  });
});
