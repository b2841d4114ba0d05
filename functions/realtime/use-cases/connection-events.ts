/**
 * The ws function's use cases: `$connect` (optional JWT), `$disconnect`, and the client messages of
 * API.md (subscribe, unsubscribe, ping) on `$default`. Replies go through the management API
 * (PostToConnection), the same path the fan-out uses.
 *
 * Ordering per connection and topic (API.md: seq strictly increases): a subscription starts
 * *pending*; fan-out waves skip pending connections, so while the subscribe path sends the
 * `subscribed` snapshot it is the only sender. Then `activate` records the snapshot's seq as the
 * connection's floor (waves push only newer seqs). If a wave with a newer seq ran meanwhile (it
 * skipped this connection), the subscribe path stays pending, sends that newest event itself and
 * activates again. A wave that was already sending when the subscribe arrived (it may include this
 * connection if it was subscribed before) is waited for before the snapshot is read.
 */
import { z } from 'zod';
import type { AuthenticatedUser } from '../../auth/auth.js';
import { SigningKeysUnavailableError } from '../../domain/errors.js';
import type { ConnectionUsers } from '../../ports/connection-users.js';
import type { LogSink } from '../../ports/logger.js';
import type { NotificationReader } from '../../ports/notifications.js';
import type { BroadcastInfo } from '../broadcast.js';
import {
  CONNECTION_LIMITS,
  connectionExpiry,
  encodeMessage,
  MAX_INBOUND_MESSAGE_BYTES,
  MAX_TOPICS_PER_CONNECTION,
  ME_TOPIC,
  messageForEvent,
  parseTopic,
  type Topic,
} from '../model.js';
import type {
  ConnectionCloser,
  ConnectionLimits,
  ConnectionMessenger,
  ConnectionRegistry,
  PostOutcome,
  TopicReader,
} from '../ports.js';
import { TopicUnavailableError } from '../ports.js';
import type { ClientMessage, ServerMessage, WsErrorCode } from '../protocol.js';
import { type BroadcastChoice, chooseDelivery } from './choose-delivery.js';
import { subscribeMe, unsubscribeMe } from './subscribe-me.js';

export interface WsDeps {
  registry: ConnectionRegistry;
  messenger: ConnectionMessenger;
  topics: TopicReader;
  /** Connections per source address and messages per connection; absent: no limits (unit tests). */
  limits?: ConnectionLimits;
  /** Closes a connection over its message limit; absent: it is only answered rate_limited (unit tests). */
  closer?: ConnectionCloser;
  /** Verifies a JWT; throws when it is invalid or expired. */
  authenticate: (token: string) => Promise<AuthenticatedUser>;
  logger: LogSink;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long a subscribe waits for a wave that was sending when it arrived. */
  waveWaitMs?: number;
  /** How long a pending subscription is skipped by waves at most (a crashed subscribe ends). */
  pendingMs?: number;
  /**
   * The `me` topic (API.md v1.2): who opened each connection with a token, and the notifications'
   * list (PostgreSQL). Absent (no database): `me` answers `temporarily_unavailable`.
   */
  me?: { users: ConnectionUsers; notifications: Pick<NotificationReader, 'latestSeq' | 'list'> };
  /** The broadcast tier (API.md v1.2); absent: every topic direct, as before it. */
  broadcast?: BroadcastChoice;
}

export interface WsConnectionContext {
  connectionId: string;
  /** Epoch ms, as API Gateway gives it in every event. */
  connectedAt: number;
}

/** Reads a ClientMessage (protocol.ts); the topic leniently, so a bad one is told `invalid_topic`. */
const clientMessage = z.discriminatedUnion('action', [
  z.object({ action: z.literal('subscribe'), topic: z.unknown().optional() }),
  z.object({ action: z.literal('unsubscribe'), topic: z.unknown().optional() }),
  z.object({ action: z.literal('ping') }),
]);
// Every message of the protocol is one this schema reads: a ClientMessage it does not know fails tsc.
const readsEveryClientMessage: ClientMessage extends z.infer<typeof clientMessage> ? true : never = true;
void readsEveryClientMessage;

const CATCH_UP_ROUNDS = 3;

/** The parts of API Gateway's WebSocket proxy event the ws function reads. */
export interface WsEvent {
  requestContext: {
    eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    connectionId: string;
    connectedAt: number;
    /** The client's address (API Gateway sets it on every WebSocket event). */
    identity?: { sourceIp?: string };
  };
  body?: string | null;
  isBase64Encoded?: boolean;
  queryStringParameters?: Record<string, string | undefined> | null;
}

/** A proxy integration's result; `headers` only on a refused handshake (Retry-After of a 503). */
export interface WsConnectResult {
  statusCode: number;
  headers?: Record<string, string>;
}

/**
 * `$connect`: 200, 401 (an invalid `?token=`) or 503 + Retry-After (the issuer's keys unreachable);
 * API Gateway refuses the handshake on a non-2xx.
 * `$disconnect` and messages always answer 200: the client gets its replies (errors included) as
 * messages through the management API.
 */
export async function handleWsEvent(deps: WsDeps, event: WsEvent): Promise<WsConnectResult> {
  const { eventType, connectionId, connectedAt } = event.requestContext;
  const sourceIp = event.requestContext.identity?.sourceIp;
  switch (eventType) {
    case 'CONNECT':
      return connect(deps, event.queryStringParameters?.token ?? undefined, {
        connectionId,
        connectedAt,
        sourceIp,
      });
    case 'DISCONNECT':
      await Promise.all([
        disconnect(deps, connectionId),
        sourceIp ? deps.limits?.releaseConnection(sourceIp, connectionId) : undefined,
      ]);
      return { statusCode: 200 };
    default:
      await handleMessage(
        deps,
        { connectionId, connectedAt },
        event.body ?? undefined,
        event.isBase64Encoded === true,
      );
      return { statusCode: 200 };
  }
}

/**
 * `$connect`: anonymous watchers are welcome; a token, if given, must be valid (401); an address
 * already holding the maximum of live connections is refused with 429 (no message can be sent
 * before the connection exists).
 */
export async function connect(
  deps: Pick<WsDeps, 'authenticate' | 'limits' | 'me'>,
  token: string | undefined,
  connection?: { connectionId: string; connectedAt: number; sourceIp: string | undefined },
): Promise<WsConnectResult> {
  let userId: string | undefined;
  if (token !== undefined) {
    try {
      userId = (await deps.authenticate(token)).id;
    } catch (error) {
      // The issuer's keys are unreachable: whether the token is valid is unknown (API.md v1.2).
      if (error instanceof SigningKeysUnavailableError) {
        return { statusCode: 503, headers: { ...error.headers } };
      }
      return { statusCode: 401 };
    }
  }
  if (deps.limits && connection?.sourceIp) {
    const expiresAt = connection.connectedAt + CONNECTION_LIMITS.maxDurationMs + CONNECTION_LIMITS.marginMs;
    const admitted = await deps.limits.admitConnection(
      connection.sourceIp,
      connection.connectionId,
      expiresAt,
    );
    if (!admitted) return { statusCode: 429 };
  }
  // Later events carry the connection id only: `me` learns whose connection it is from here.
  if (userId !== undefined && deps.me && connection) {
    const expiresAt = connection.connectedAt + CONNECTION_LIMITS.maxDurationMs + CONNECTION_LIMITS.marginMs;
    await deps.me.users.remember(connection.connectionId, userId, expiresAt);
  }
  return { statusCode: 200 };
}

export async function disconnect(deps: Pick<WsDeps, 'registry' | 'me'>, connectionId: string): Promise<void> {
  await Promise.all([deps.registry.forget(connectionId), deps.me?.users.forget(connectionId)]);
}

/** One inbound message; every outcome, including every error, is a message to the client. */
export async function handleMessage(
  deps: WsDeps,
  connection: WsConnectionContext,
  body: string | undefined,
  isBase64Encoded: boolean,
): Promise<void> {
  const send = (message: ServerMessage) => post(deps, connection.connectionId, message);
  const fail = async (code: WsErrorCode, message: string, topic?: string): Promise<void> => {
    await send({ type: 'error', code, message, ...(topic ? { topic } : {}) });
  };

  // First, before any reply: each reply spends the account-wide management API budget.
  if (deps.limits) {
    const admission = await deps.limits.admitMessage(connection.connectionId);
    if (admission.status === 'dropped') return;
    if (admission.status === 'refused') {
      // No limit acts per connection before this function on AWS: each message of an open
      // connection is an invocation and a request of the account-wide budget, dropped or not. So
      // the first message over the limit closes the connection: its later messages never run a
      // function, and the sender pays a new handshake (capped per address at $connect).
      await fail('rate_limited', 'too many messages on this connection; it is closed, reconnect later');
      await deps.closer?.close(connection.connectionId);
      return;
    }
  }
  const raw = body ?? '';
  if (Buffer.byteLength(raw, isBase64Encoded ? 'base64' : 'utf8') > MAX_INBOUND_MESSAGE_BYTES) {
    return fail('message_too_large', `messages are limited to ${MAX_INBOUND_MESSAGE_BYTES} bytes`);
  }
  if (isBase64Encoded) return fail('invalid_message', 'binary messages are not supported; send JSON text');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return fail('invalid_message', 'the message is not valid JSON');
  }
  const parsed = clientMessage.safeParse(json);
  if (!parsed.success) {
    const action = json && typeof json === 'object' ? (json as { action?: unknown }).action : undefined;
    return action === undefined
      ? fail('invalid_message', 'the message needs an "action": subscribe, unsubscribe or ping')
      : fail(
          'unknown_action',
          `unknown action ${JSON.stringify(action)}; use subscribe, unsubscribe or ping`,
        );
  }

  const now = (deps.now ?? Date.now)();
  const expiresAt = connectionExpiry(connection.connectedAt, now);
  const message = parsed.data;
  if (message.action === 'ping') {
    await deps.registry.touch(connection.connectionId, expiresAt);
    await send({ type: 'pong' });
    return;
  }
  if (message.topic === ME_TOPIC) {
    await deps.registry.touch(connection.connectionId, expiresAt);
    if (!deps.me) {
      return fail('temporarily_unavailable', 'notifications are not available on this deployment', ME_TOPIC);
    }
    const meDeps = {
      registry: deps.registry,
      users: deps.me.users,
      notifications: deps.me.notifications,
      send,
      maxTopics: MAX_TOPICS_PER_CONNECTION,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.pendingMs !== undefined ? { pendingMs: deps.pendingMs } : {}),
      ...(deps.waveWaitMs !== undefined ? { waveWaitMs: deps.waveWaitMs } : {}),
    };
    if (message.action === 'unsubscribe') return unsubscribeMe(meDeps, connection.connectionId);
    return subscribeMe(meDeps, connection.connectionId, expiresAt);
  }
  const topic = parseTopic(message.topic);
  if (!topic) {
    return fail(
      'invalid_topic',
      '"topic" must be "auction:ID", "product:ID" (an id of 1-64 letters, digits, "_" or "-") or "me"',
    );
  }
  // Any client message keeps the connection alive at API Gateway: keep its registrations too.
  await deps.registry.touch(connection.connectionId, expiresAt);
  if (message.action === 'unsubscribe') {
    // Idempotent: unsubscribing from a topic one does not watch is answered the same way.
    await leave(deps, connection.connectionId, topic);
    await send({ type: 'unsubscribed', topic: topic.name });
    return;
  }
  return subscribe(deps, connection, topic, expiresAt, send, fail);
}

async function subscribe(
  deps: WsDeps,
  connection: WsConnectionContext,
  topic: Topic,
  expiresAt: number,
  send: (message: ServerMessage) => Promise<PostOutcome>,
  fail: (code: WsErrorCode, message: string, topic?: string) => Promise<void>,
): Promise<void> {
  const { connectionId } = connection;
  const now = deps.now ?? Date.now;
  const pendingMs = deps.pendingMs ?? 10_000;

  const added = await deps.registry.addTopic(connectionId, topic, MAX_TOPICS_PER_CONNECTION, expiresAt);
  if (added === 'limit') {
    return fail(
      'too_many_topics',
      `a connection may watch at most ${MAX_TOPICS_PER_CONNECTION} topics; unsubscribe from one first`,
      topic.name,
    );
  }
  const broadcast = await chooseDelivery(deps.broadcast, topic);
  if (broadcast)
    return subscribeBroadcast(deps, connectionId, topic, added === 'exists', broadcast, send, fail);
  const wave = await deps.registry.register(topic, connectionId, expiresAt, now() + pendingMs);
  if (wave !== null) await waitForWave(deps, topic, wave);

  let snapshot: Awaited<ReturnType<TopicReader['snapshot']>>;
  try {
    snapshot = await deps.topics.snapshot(topic);
  } catch (error) {
    await leave(deps, connectionId, topic);
    if (error instanceof TopicUnavailableError) {
      return fail('temporarily_unavailable', `${topic.name} is being restored; retry shortly`, topic.name);
    }
    throw error;
  }
  if (!snapshot) {
    await leave(deps, connectionId, topic);
    const kind = topic.kind as 'auction' | 'product';
    return fail(`${kind}_not_found`, `${kind} ${topic.id} does not exist`, topic.name);
  }

  if ((await send({ ...snapshot.message, delivery: 'direct' })) === 'gone') return;
  let sentSeq = snapshot.seq;
  for (let round = 1; ; round++) {
    const force = round > CATCH_UP_ROUNDS;
    const activated = await deps.registry.activate(topic, connectionId, sentSeq, now() + pendingMs, force);
    if (activated.status !== 'behind' || force) return;
    // A newer wave skipped this pending subscription: send the newest state ourselves, then try
    // again. After a few rounds of racing waves, activation is forced: the connection then waits
    // for the next wave (a gap, which API.md allows), never for a repeated or older seq.
    const newest = await deps.topics.latestEvent(topic);
    if (!newest || newest.seq <= sentSeq) {
      await deps.registry.activate(topic, connectionId, sentSeq, now(), true);
      return;
    }
    if ((await send(messageForEvent(newest))) === 'gone') return;
    sentSeq = newest.seq;
  }
}

/** Waits (up to waveWaitMs) while the wave with this token holds the topic's lease. */
async function waitForWave(deps: WsDeps, topic: Topic, wave: string): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  // Backing off from 5 ms to 100 ms: a wave to many watchers holds the lease for seconds, and
  // every subscriber arriving meanwhile polls the same Redis slot.
  const deadline = now() + (deps.waveWaitMs ?? 5_000);
  for (let poll = 0; now() < deadline && (await deps.registry.leaseHolder(topic)) === wave; poll++) {
    await sleep(Math.min(100, 5 * 2 ** poll));
  }
}

/**
 * A subscription that reads the topic's channel: the snapshot with `delivery: "broadcast"` and the
 * broadcast object; the connection is not registered, so no wave pushes the topic to it. A
 * connection that watched the topic directly before is removed from its receivers first, and a
 * wave sending at that moment is waited for, so none of its pushes follows this answer.
 */
async function subscribeBroadcast(
  deps: WsDeps,
  connectionId: string,
  topic: Topic,
  wasWatching: boolean,
  broadcast: BroadcastInfo,
  send: (message: ServerMessage) => Promise<PostOutcome>,
  fail: (code: WsErrorCode, message: string, topic?: string) => Promise<void>,
): Promise<void> {
  if (wasWatching) {
    await deps.registry.leave(topic, [connectionId]);
    const wave = await deps.registry.leaseHolder(topic);
    if (wave !== null) await waitForWave(deps, topic, wave);
  }
  let snapshot: Awaited<ReturnType<TopicReader['snapshot']>>;
  try {
    snapshot = await deps.topics.snapshot(topic);
  } catch (error) {
    await deps.registry.removeTopic(connectionId, topic);
    if (error instanceof TopicUnavailableError) {
      return fail('temporarily_unavailable', `${topic.name} is being restored; retry shortly`, topic.name);
    }
    throw error;
  }
  if (!snapshot) {
    await deps.registry.removeTopic(connectionId, topic);
    const kind = topic.kind as 'auction' | 'product';
    return fail(`${kind}_not_found`, `${kind} ${topic.id} does not exist`, topic.name);
  }
  await send({ ...snapshot.message, delivery: 'broadcast', broadcast });
}

async function leave(deps: WsDeps, connectionId: string, topic: Topic): Promise<void> {
  await deps.registry.leave(topic, [connectionId]);
  await deps.registry.removeTopic(connectionId, topic);
}

async function post(deps: WsDeps, connectionId: string, message: ServerMessage) {
  const outcome = await deps.messenger.post(connectionId, encodeMessage(message));
  if (outcome === 'gone') {
    await deps.registry.forget(connectionId);
  } else if (outcome === 'failed') {
    deps.logger.warn('could not send a message to a connection', { connectionId, type: message.type });
  }
  return outcome;
}
