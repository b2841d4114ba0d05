import type { Topic } from '../../realtime/model.js';
import type {
  ActivateResult,
  ClaimWaveResult,
  ConnectionRegistry,
  StartPartResult,
} from '../../realtime/ports.js';
import type { RedisClient } from './client.js';
import { runActivate } from './lua/realtime/registry-activate.js';
import { runAddTopic } from './lua/realtime/registry-add-topic.js';
import { runClaimWave } from './lua/realtime/registry-claim-wave.js';
import { runFinishPart } from './lua/realtime/registry-finish-part.js';
import { runLeave } from './lua/realtime/registry-leave.js';
import { runOpenParts } from './lua/realtime/registry-open-parts.js';
import { runRegister } from './lua/realtime/registry-register.js';
import { runReleaseWave } from './lua/realtime/registry-release-wave.js';
import { runStartPart } from './lua/realtime/registry-start-part.js';
import { runUnstartedParts } from './lua/realtime/registry-unstarted-parts.js';
import { connectionKeys, topicKeys } from './redis-keys.js';

/**
 * Keys (built in redis-keys.ts). A topic's keys share the tag `{t:TOPIC}` and a connection's the tag
 * `{c:CONNECTION_ID}`; they are different slots in cluster mode, so no script touches both:
 *
 * | key                    | type   | content                                                        |
 * | ---------------------- | ------ | -------------------------------------------------------------- |
 * | `{t:TOPIC}:conns`      | zset   | connectionId -> expiry (epoch ms); expired ones are dropped    |
 * | `{t:TOPIC}:floors`     | hash   | connectionId -> seq the subscribe path sent, or -(deadline)    |
 * |                        |        | while pending; dropped once a newer wave covered it            |
 * | `{t:TOPIC}:pushed`     | string | seq of the newest fan-out wave (only newer ones may follow)    |
 * | `{t:TOPIC}:lease`      | string | token of the wave sending now (PX = lease duration)            |
 * | `{t:TOPIC}:parts`      | hash   | a wave split into parts: token, message, receivers per part,   |
 * |                        |        | parts started and left (see registry-open-parts.lua)           |
 * | `{c:ID}:topics`        | set    | the connection's topics; PEXPIREAT = the connection's expiry   |
 *
 * Topic keys live `topicTtlMs` after the last subscribe or wave (longer than any connection).
 */
const connectionTopicsKey = (connectionId: string) => connectionKeys(connectionId).topics;

export interface ConnectionRegistryOptions {
  /** How long a wave holds a topic's lease at most (a crashed wave frees it after this). */
  leaseMs: number;
  topicTtlMs: number;
}

export const DEFAULT_REGISTRY_OPTIONS: ConnectionRegistryOptions = {
  leaseMs: 15_000,
  topicTtlMs: 3 * 60 * 60 * 1000,
};

export class RedisConnectionRegistry implements ConnectionRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: ConnectionRegistryOptions = DEFAULT_REGISTRY_OPTIONS,
  ) {}

  addTopic(connectionId: string, topic: Topic, maxTopics: number, expiresAt: number) {
    return runAddTopic(this.redis, connectionTopicsKey(connectionId), {
      topic: topic.name,
      maxTopics,
      expiresAt,
    });
  }

  async removeTopic(connectionId: string, topic: Topic): Promise<void> {
    await this.redis.srem(connectionTopicsKey(connectionId), topic.name);
  }

  register(topic: Topic, connectionId: string, expiresAt: number, pendingUntil: number) {
    return runRegister(this.redis, topicKeys(topic.name), {
      connectionId,
      expiresAt,
      pendingUntil,
      topicTtlMs: this.options.topicTtlMs,
    });
  }

  leaseHolder(topic: Topic): Promise<string | null> {
    return this.redis.get(topicKeys(topic.name).lease);
  }

  activate(
    topic: Topic,
    connectionId: string,
    seq: number,
    pendingUntil: number,
    force = false,
  ): Promise<ActivateResult> {
    return runActivate(this.redis, topicKeys(topic.name), { connectionId, seq, pendingUntil, force });
  }

  async leave(topic: Topic, connectionIds: readonly string[]): Promise<void> {
    await runLeave(this.redis, topicKeys(topic.name), connectionIds);
  }

  async forget(connectionId: string): Promise<void> {
    const key = connectionTopicsKey(connectionId);
    const topics = await this.redis.smembers(key);
    await Promise.all(topics.map((topic) => runLeave(this.redis, topicKeys(topic), [connectionId])));
    await this.redis.del(key);
  }

  async touch(connectionId: string, expiresAt: number): Promise<void> {
    const key = connectionTopicsKey(connectionId);
    const topics = await this.redis.smembers(key);
    if (topics.length === 0) return;
    const at = Math.round(expiresAt);
    // XX: never re-adds a connection that left a topic; GT: never shortens an expiry.
    await Promise.all([
      this.redis.pexpireat(key, at),
      ...topics.map((topic) => this.redis.zadd(topicKeys(topic).conns, 'XX', 'GT', at, connectionId)),
    ]);
  }

  async hasConnections(topic: Topic): Promise<boolean> {
    return (await this.redis.exists(topicKeys(topic.name).conns)) === 1;
  }

  /**
   * The claim (a script), then the receivers: members and floors read together in one MULTI, so a
   * subscription registered after the claim is seen with its pending mark and skipped.
   */
  async claimWave(topic: Topic, seq: number, token: string, nowMs: number): Promise<ClaimWaveResult> {
    const keys = topicKeys(topic.name);
    const claim = await runClaimWave(this.redis, keys, {
      seq,
      token,
      leaseMs: this.options.leaseMs,
      now: nowMs,
      topicTtlMs: this.options.topicTtlMs,
      pruneLimit: 1_000,
    });
    if (claim.status !== 'claimed') return { status: claim.status, pushed: claim.pushed };
    const replies = await this.redis
      .multi()
      .zrangebyscore(keys.conns, `(${Math.round(nowMs)}`, '+inf')
      .hgetall(keys.floors)
      .exec();
    const [members, floors] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [string[], Record<string, string>];
    const skip = new Set<string>();
    for (const [connectionId, value] of Object.entries(floors)) {
      const floor = Number(value);
      const pending = floor < 0 && -floor > nowMs;
      if (pending || floor >= seq) skip.add(connectionId);
    }
    const connectionIds = skip.size === 0 ? members : members.filter((id) => !skip.has(id));
    return { status: 'claimed', pushed: claim.pushed, connectionIds };
  }

  async releaseWave(topic: Topic, token: string): Promise<void> {
    await runReleaseWave(this.redis, topicKeys(topic.name), token);
  }

  openParts(topic: Topic, token: string, data: string, receivers: readonly (readonly string[])[]) {
    return runOpenParts(this.redis, topicKeys(topic.name), {
      token,
      leaseMs: this.options.leaseMs,
      data,
      receivers,
    });
  }

  startPart(topic: Topic, token: string, index: number): Promise<StartPartResult> {
    return runStartPart(this.redis, topicKeys(topic.name), { token, index, leaseMs: this.options.leaseMs });
  }

  finishPart(topic: Topic, token: string): Promise<number> {
    return runFinishPart(this.redis, topicKeys(topic.name), token);
  }

  unstartedParts(topic: Topic) {
    return runUnstartedParts(this.redis, topicKeys(topic.name));
  }
}
