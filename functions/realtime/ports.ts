/**
 * The ports of the real-time side (ws and fan-out functions). Adapters: Redis
 * (`adapters/redis/connection-registry.ts`, `adapters/redis/redis-topic-reader.ts`) and the API
 * Gateway management API (`adapters/apigw/`).
 */
import type { EventEnvelope } from '../domain/events.js';
import type { Topic } from './model.js';
import type { ServerMessage } from './protocol.js';
import type { WavePart } from './wave-part.js';

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
  /**
   * Topic slot: the claimed wave will be sent in parts (one list of receivers each), by whichever
   * invocations start them; its lease stays taken until the last part finished (or it expired).
   * false when the wave no longer holds the lease.
   */
  openParts(
    topic: Topic,
    token: string,
    data: string,
    receivers: readonly (readonly string[])[],
  ): Promise<boolean>;
  /** Topic slot: once per part, and only while its wave holds the lease (renews it). */
  startPart(topic: Topic, token: string, index: number): Promise<StartPartResult>;
  /** Topic slot: parts still running; 0 when this one ended the wave (lease freed), -1 if over. */
  finishPart(topic: Topic, token: string): Promise<number>;
  /** Topic slot: the current split wave's parts nobody started yet, or null. */
  unstartedParts(topic: Topic): Promise<{ token: string; indexes: number[] } | null>;
}

export type StartPartResult =
  | { status: 'started'; data: string; connectionIds: string[] }
  | { status: 'duplicate' | 'stale' };

/** Tells other fan-out invocations that a wave part waits (the fanout queue, on AWS and locally). */
export interface WavePartQueue {
  /** Best effort: a part nobody was told about is sent by the wave's own invocation at its end. */
  send(parts: readonly WavePart[]): Promise<void>;
}

export type PostOutcome = 'delivered' | 'gone' | 'failed';

/** 'refused': over the limit, tell the client once; 'dropped': already told in this window. */
export type MessageAdmission =
  | { status: 'admitted' }
  | { status: 'refused' | 'dropped'; retryAfterMs: number };

/**
 * WebSocket abuse limits (issue 19): live connections per source address, inbound messages per
 * connection. Every reply is a PostToConnection on the account-wide management API budget the
 * fan-out needs, so the message limit also bounds what one connection can spend of it.
 */
export interface ConnectionLimits {
  /** `$connect`: false when the address already holds the maximum of live connections. */
  admitConnection(sourceIp: string, connectionId: string, expiresAt: number): Promise<boolean>;
  /** `$disconnect`. */
  releaseConnection(sourceIp: string, connectionId: string): Promise<void>;
  /** Every inbound message, before anything else is done for it. */
  admitMessage(connectionId: string): Promise<MessageAdmission>;
}

/**
 * DeleteConnection: API Gateway closes the socket, and no later message of that connection reaches
 * any function (the one limit that acts before the ws function runs; see handleMessage).
 */
export interface ConnectionCloser {
  close(connectionId: string): Promise<void>;
}

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
  count(
    name:
      | 'delivered'
      | 'gone'
      | 'failed'
      | 'conflated'
      | 'stale'
      | 'waves'
      | 'parts'
      | 'duplicateParts'
      | 'caughtUp'
      | 'followOn',
    value: number,
  ): void;
}
