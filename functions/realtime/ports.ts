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
  /**
   * Topic slot: whether the topic has any connection (live or pending) at all: one cheap read that
   * spares a claim, a read and a release for a user nobody watches (most `me` topics).
   */
  hasConnections(topic: Topic): Promise<boolean>;
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
      | 'followOn'
      | 'published'
      | 'publishFailed'
      | 'publishedEvents',
    value: number,
  ): void;
}

// --- broadcast tier (API.md v1.2; broadcast.ts) ---------------------------------------------------
// Adapters: `adapters/appsync/events-publisher.ts` (HTTP publish, SigV4) and
// `adapters/redis/redis-broadcast-ledger.ts` (the topic's slot in Redis).

export type PublishOutcome = 'published' | 'failed';

/** One HTTP publish of up to 5 events (JSON texts) to a channel. Retries of throttling inside. */
export interface ChannelPublisher {
  publish(channel: string, events: readonly string[]): Promise<PublishOutcome>;
}

/**
 * What was published last for a topic: its seq, and `at` when its next publish is due at the
 * steady rate (epoch ms; the rate cap's theoretical time); 0/0 before the first.
 */
export interface PublishMark {
  seq: number;
  at: number;
}

/**
 * Per topic, on the topic's slot: one publisher at a time (a lease), the newest seq published and
 * when. The lease is what conflates: updates that arrive while a publisher waits for the end of the
 * rate window find it taken and leave their state to it (it reads the store after its wait).
 */
export interface BroadcastLedger {
  /** The lease for `leaseMs`, and the last publish; null while another publisher holds it. */
  lead(topic: Topic, token: string, leaseMs: number): Promise<PublishMark | null>;
  /** Records a publish (only ever raises the seq) and frees the lease if still this token's. */
  published(topic: Topic, token: string, mark: PublishMark): Promise<void>;
  /** Frees the lease if still this token's. */
  release(topic: Topic, token: string): Promise<void>;
  /** The topic's events after `afterSeq`, the newest `max` of them, oldest first. */
  eventsAfter(topic: Topic, afterSeq: number, max: number): Promise<EventEnvelope[]>;
}

/**
 * A topic's delivery mode (topic slot). `broadcast` is sticky while the topic's keys live (3 h
 * after the last subscribe or wave): a crowd that thins out stays on its channel.
 */
export interface DeliveryModes {
  /** The mode and the direct audience (connections registered, pending ones included). */
  read(topic: Topic): Promise<{ broadcast: boolean; audience: number }>;
  turnBroadcast(topic: Topic): Promise<void>;
}
