import type { EventEnvelope } from '../../domain/events.js';
import type { Topic } from '../../realtime/model.js';
import type { BroadcastLedger, DeliveryModes, PublishMark } from '../../realtime/ports.js';
import type { RedisClient } from './client.js';
import { auctionKeys, productKeys, topicKeys } from './redis-keys.js';

/**
 * The broadcast tier's keys, on the topic's slot (beside the connection registry's, same tag):
 *
 * | key                 | type   | content                                                 |
 * | ------------------- | ------ | ------------------------------------------------------- |
 * | `{t:TOPIC}:bcast`   | hash   | `seq`, `at`: the newest seq published and when (ms)     |
 * | `{t:TOPIC}:blease`  | string | token of the publisher holding the topic (PX = lease)   |
 * | `{t:TOPIC}:mode`    | string | `broadcast` once the direct audience reached the bar     |
 *
 * Both live `ttlMs` (the registry's topic TTL, 3 h) after the last publish or switch.
 */
function broadcastKeys(topicName: string) {
  const keys = topicKeys(topicName);
  return { conns: keys.conns, state: keys.broadcast, lease: keys.publishLease, mode: keys.mode };
}

export class RedisBroadcastLedger implements BroadcastLedger, DeliveryModes {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlMs = 3 * 60 * 60 * 1000,
  ) {}

  async lead(topic: Topic, token: string, leaseMs: number): Promise<PublishMark | null> {
    const keys = broadcastKeys(topic.name);
    const replies = await this.redis
      .multi()
      .set(keys.lease, token, 'PX', Math.max(1, Math.round(leaseMs)), 'NX')
      .hmget(keys.state, 'seq', 'at')
      .exec();
    const [set, state] = unwrap(replies) as [string | null, (string | null)[]];
    if (set !== 'OK') return null;
    return { seq: Number(state[0] ?? 0), at: Number(state[1] ?? 0) };
  }

  async published(topic: Topic, token: string, mark: PublishMark): Promise<void> {
    const keys = broadcastKeys(topic.name);
    await this.redis
      .multi()
      .hset(keys.state, 'seq', mark.seq, 'at', Math.round(mark.at))
      .pexpire(keys.state, this.ttlMs)
      .exec();
    await this.release(topic, token);
  }

  async release(topic: Topic, token: string): Promise<void> {
    const keys = broadcastKeys(topic.name);
    // Compare, then delete: a lease that expired meanwhile and went to another publisher is left
    // to it. Between the two commands a takeover is possible only after a full lease period of
    // silence; its worst case is two publishers at once, which subscribers tolerate (API.md: channel
    // events may arrive twice or out of order, the newest seq wins).
    if ((await this.redis.get(keys.lease)) === token) await this.redis.del(keys.lease);
  }

  async eventsAfter(topic: Topic, afterSeq: number, max: number): Promise<EventEnvelope[]> {
    const key = topic.kind === 'auction' ? auctionKeys(topic.id).events : productKeys(topic.id).events;
    const newestFirst = await this.redis.zrevrangebyscore(key, '+inf', `(${afterSeq}`, 'LIMIT', 0, max);
    return newestFirst.reverse().map((row) => JSON.parse(row) as EventEnvelope);
  }

  async read(topic: Topic): Promise<{ broadcast: boolean; audience: number }> {
    const keys = broadcastKeys(topic.name);
    const [mode, audience] = unwrap(await this.redis.multi().get(keys.mode).zcard(keys.conns).exec()) as [
      string | null,
      number,
    ];
    return { broadcast: mode === 'broadcast', audience };
  }

  async turnBroadcast(topic: Topic): Promise<void> {
    await this.redis.set(broadcastKeys(topic.name).mode, 'broadcast', 'PX', this.ttlMs);
  }
}

function unwrap(replies: [Error | null, unknown][] | null): unknown[] {
  return (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
