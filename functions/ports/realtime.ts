/**
 * The ports of the real-time side (ws and fan-out functions). Adapters: Redis
 * (`adapters/redis/connection-registry.ts`, `adapters/redis/redis-topic-reader.ts`) and the API
 * Gateway management API (`adapters/apigw/`).
 */
import type { EventEnvelope } from '../domain/events.js';
import type { ServerMessage, Topic } from '../domain/realtime.js';

export type ClaimWaveResult =
  | { status: 'stale' | 'busy'; pushed: number }
  | { status: 'claimed'; pushed: number; connectionIds: string[] };

export type ActivateResult = { status: 'active' | 'behind' | 'gone'; pushed: number };

/**
 * Which connections watch which topic. A topic's connections and a connection's topics live in
 * different hash slots, so each method touches one slot (or says which ones it touches).
 * A subscription is *pending* from `register` until `activate`: fan-out waves skip it meanwhile.
 */
export interface ConnectionRegistry {
  /** Connection slot: adds the topic within the limit and refreshes the connection's expiry. */
  addTopic(
    connectionId: string,
    topic: Topic,
    maxTopics: number,
    expiresAt: number,
  ): Promise<'added' | 'exists' | 'limit'>;
  /** Connection slot. */
  removeTopic(connectionId: string, topic: Topic): Promise<void>;
  /** Topic slot: adds the connection as pending; returns the token of the wave sending right now. */
  register(
    topic: Topic,
    connectionId: string,
    expiresAt: number,
    pendingUntil: number,
  ): Promise<string | null>;
  leaseHolder(topic: Topic): Promise<string | null>;
  /** `force`: activate with max(seq, pushed) as floor even when a newer wave ran. */
  activate(
    topic: Topic,
    connectionId: string,
    seq: number,
    pendingUntil: number,
    force?: boolean,
  ): Promise<ActivateResult>;
  /** Topic slot: removes connections from the topic. */
  leave(topic: Topic, connectionIds: readonly string[]): Promise<void>;
  /** Every slot the connection is in: removes it from all its topics. */
  forget(connectionId: string): Promise<void>;
  /** Every slot the connection is in: pushes its expiry forward (a client message arrived). */
  touch(connectionId: string, expiresAt: number): Promise<void>;
  claimWave(topic: Topic, seq: number, token: string, nowMs: number): Promise<ClaimWaveResult>;
  releaseWave(topic: Topic, token: string): Promise<void>;
}

export type PostOutcome = 'delivered' | 'gone' | 'failed';

/** PostToConnection with its retries and hard timeout inside. */
export interface ConnectionMessenger {
  post(connectionId: string, data: Uint8Array): Promise<PostOutcome>;
}

export interface TopicSnapshot {
  seq: number;
  message: Extract<ServerMessage, { type: 'subscribed' }>;
}

/** Reads the deciding store (Redis) for a topic's current state and newest event. */
export interface TopicReader {
  /** null when the entity does not exist; throws `TopicUnavailableError` while it is fenced. */
  snapshot(topic: Topic): Promise<TopicSnapshot | null>;
  latestEvent(topic: Topic): Promise<EventEnvelope | null>;
}

export class TopicUnavailableError extends Error {
  override name = 'TopicUnavailableError';
}

export interface Counter {
  count(name: 'delivered' | 'gone' | 'failed' | 'conflated' | 'stale' | 'waves', value: number): void;
}
