/**
 * The local AWS AppSync Events stand-in (see index.ts for its face and README of the protocol in
 * docs/realtime.md). One process, one `ws` server without compression:
 *
 * - WebSocket `/event/realtime`, subprotocols `aws-appsync-event-ws` (required: the handshake is
 *   refused with 400 without it) and `header-<base64url(JSON authorization)>`. `connection_init`
 *   is answered `connection_ack` `{connectionTimeoutMs: 300000}` when the header carries the API
 *   key, else `connection_error` (UnauthorizedException) and the socket is closed. `ka` is sent
 *   to every acknowledged connection each `keepAliveMs`.
 * - `subscribe` `{id, channel, authorization}` -> `subscribe_success` | `subscribe_error`;
 *   `unsubscribe` `{id}` -> `unsubscribe_success` | `unsubscribe_error`; `publish` over the socket
 *   (IAM-signed only, as the API is configured) -> `publish_success` | `publish_error`; anything
 *   else -> `error`.
 * - HTTP `POST /event` `{channel, events: [JSON text, ...]}` signed with SigV4 (service
 *   `appsync`) -> 200 `{successful: [{identifier, index}], failed: [{identifier, index, code,
 *   message}]}`; a refused request -> 4xx `{errors: [{errorType, message}]}`.
 *
 * Delivery is cheap per subscriber: an event is encoded once per publish (frames.ts), each
 * subscriber's frame is its pre-encoded head + that shared tail written straight to its TCP socket
 * (`ws` sends synchronously without compression, so frames never interleave). Publishes are
 * answered at once and delivered from a FIFO queue in slices, so a crowd of 100,000 does not hold
 * the event loop for a whole fan-out and publishes to a channel reach each subscriber in order.
 * A publish that arrives while an earlier one to the same channel (and the same audience) still
 * waits in the queue joins it: each subscriber then gets the frames of both in one socket write.
 * That is what keeps a crowd fed when publishes come faster than the crowd can be written to (a
 * socket write costs ~8 us of kernel time on loopback, whatever it carries): the writes per second
 * stay what the machine can do and the frames per write grow, instead of a queue that grows
 * without end. Subscribers still receive every event as its own `data` message, in order; how
 * frames share TCP segments is invisible to a WebSocket client (and is not specified by AWS).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { type LocalCredentials, SigV4Verifier } from '../identity/sigv4-verifier.js';
import {
  type Authorization,
  asAuthorization,
  decodeHeaderProtocol,
  EVENTS_PROTOCOL,
  hasApiKey,
  hasIamSignature,
} from './auth.js';
import { type ParsedChannel, parseChannel, SubscriptionIndex } from './channels.js';
import { dataHead, dataTail, sharedTextFrame, textFrames } from './frames.js';
import type { EventsApi, EventsApiLimits, EventsApiOptions, EventsApiStats } from './index.js';
import {
  APPSYNC_EVENTS_LIMITS,
  CONNECTION_TIMEOUT_MS,
  KEEP_ALIVE_MS,
  MAX_BUFFERED_BYTES_PER_CONNECTION,
  MAX_PUBLISH_BODY_BYTES,
} from './limits.js';

const LOCAL_CREDENTIALS: LocalCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const REALTIME_PATH = '/event/realtime';
const PUBLISH_PATH = '/event';
const UNAUTHORIZED = 'You are not authorized to make this call.';
/** Socket writes per turn of the event loop before the queue yields (setImmediate). */
const WRITES_PER_SLICE = 2_000;
/** A waiting job takes in later publishes while its events' text stays under this length. */
const MAX_JOINED_TEXT_LENGTH = 64 * 1024;
const EMPTY = Buffer.alloc(0);

interface Connection {
  ws: WebSocket;
  /** The TCP socket under `ws`: `data` frames are written to it directly. */
  socket: Socket;
  authorization: Authorization | undefined;
  acknowledged: boolean;
  subscriptions: Map<string, Subscription>;
  initTimer: NodeJS.Timeout | undefined;
}

interface Subscription {
  id: string;
  connection: Connection;
  channel: { path: string; wildcard: boolean };
  /** `{"type":"data","id":"<id>","event":` encoded once. */
  head: Buffer;
}

/** The events of one or more publishes to one channel, on their way to its audience. */
interface DeliveryJob {
  channelPath: string;
  /** The subscriber sets the job was made for (a publish joins a waiting job only for the same sets). */
  audience: Set<Subscription>[];
  /** The iterators still to walk: each a live Set iterator (a subscriber leaving is skipped). */
  sets: Iterator<Subscription>[];
  /** Per event, the shared part of its frame (frames.ts), oldest first. */
  tails: Buffer[];
  /** The events' text length, summed: what bounds a job that takes in later publishes. */
  textLength: number;
  /** The events' JSON texts (the per-subscriber reference encodes from them). */
  texts: string[];
}

interface ErrorEntry {
  errorType: string;
  message: string;
}

type Json = Record<string, unknown>;

export async function startEventsApi(options: EventsApiOptions): Promise<EventsApi> {
  const host = options.host ?? '127.0.0.1';
  const apiKey = options.apiKey;
  const limits: EventsApiLimits = { ...APPSYNC_EVENTS_LIMITS, ...options.limits };
  const namespaces = new Set(options.namespaces ?? ['live']);
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const verifier = new SigV4Verifier(
    options.credentials ?? LOCAL_CREDENTIALS,
    options.region ?? 'us-east-1',
    'appsync',
  );
  const index = new SubscriptionIndex<Subscription>();
  const connections = new Set<Connection>();
  const counters = {
    publishes: 0,
    events: 0,
    deliveries: 0,
    writes: 0,
    dropped: 0,
    unauthorized: 0,
    badRequests: 0,
  };

  // --- delivery queue -------------------------------------------------------------------------
  const queue: DeliveryJob[] = [];
  /** Per channel path, its job still waiting in the queue (none of its writes made yet). */
  const waiting = new Map<string, DeliveryJob>();
  let draining = false;
  const kaFrame = sharedTextFrame('{"type":"ka"}');

  const perSubscriber = options.deliveryEncoding === 'per-subscriber';
  const write = (subscription: Subscription, job: DeliveryJob) => {
    const { socket } = subscription.connection;
    if (!socket.writable) return;
    if (socket.writableLength > MAX_BUFFERED_BYTES_PER_CONNECTION) {
      counters.dropped += job.tails.length;
      return;
    }
    if (perSubscriber) {
      for (const text of job.texts)
        subscription.connection.ws.send(JSON.stringify({ type: 'data', id: subscription.id, event: text }));
    } else {
      socket.write(textFrames(subscription.head, job.tails));
    }
    counters.writes++;
    counters.deliveries += job.tails.length;
  };

  const drain = () => {
    let budget = WRITES_PER_SLICE;
    while (queue.length > 0 && budget > 0) {
      const job = queue[0] as DeliveryJob;
      // From its first write on, a job is closed to later publishes (they queue behind it).
      if (waiting.get(job.channelPath) === job) waiting.delete(job.channelPath);
      const iterator = job.sets[0];
      if (!iterator) {
        queue.shift();
        continue;
      }
      let step = iterator.next();
      while (!step.done && budget > 0) {
        write(step.value, job);
        budget--;
        if (budget > 0) step = iterator.next();
      }
      if (step.done) job.sets.shift();
    }
    if (queue.length > 0) setImmediate(drain);
    else draining = false;
  };

  const enqueue = (channelPath: string, audience: Set<Subscription>[], tails: Buffer[], texts: string[]) => {
    const textLength = texts.reduce((sum, text) => sum + text.length, 0);
    const pending = waiting.get(channelPath);
    if (
      pending &&
      pending.textLength + textLength <= MAX_JOINED_TEXT_LENGTH &&
      pending.audience.length === audience.length &&
      pending.audience.every((set, at) => set === audience[at])
    ) {
      pending.tails.push(...tails);
      pending.texts.push(...texts);
      pending.textLength += textLength;
      return;
    }
    const job: DeliveryJob = {
      channelPath,
      audience,
      sets: audience.map((set) => set.values()),
      tails,
      textLength,
      texts,
    };
    queue.push(job);
    waiting.set(channelPath, job);
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  };

  const keepAlive = setInterval(() => {
    for (const connection of connections) {
      if (connection.acknowledged && connection.socket.writable) connection.socket.write(kaFrame);
    }
  }, keepAliveMs);
  keepAlive.unref();

  // --- publishing (HTTP and WebSocket alike) --------------------------------------------------
  type PublishOutcome =
    | { status: 200; successful: { identifier: string; index: number }[]; failed: Json[] }
    | { status: 400; error: ErrorEntry };

  const publish = (channelRaw: unknown, eventsRaw: unknown): PublishOutcome => {
    const channel = parseChannel(channelRaw, limits, false);
    if (!channel.ok)
      return { status: 400, error: { errorType: 'BadRequestException', message: channel.message } };
    if (!namespaces.has(channel.namespace))
      return {
        status: 400,
        error: {
          errorType: 'BadRequestException',
          message: `Channel namespace '${channel.namespace}' not found`,
        },
      };
    if (!Array.isArray(eventsRaw) || eventsRaw.length === 0)
      return {
        status: 400,
        error: { errorType: 'BadRequestException', message: 'events must be a non-empty list' },
      };
    if (eventsRaw.length > limits.maxEventsPerPublish)
      return {
        status: 400,
        error: {
          errorType: 'BadRequestException',
          message: `At most ${limits.maxEventsPerPublish} events may be published at once`,
        },
      };
    const successful: { identifier: string; index: number }[] = [];
    const failed: Json[] = [];
    const audience = index.audience(channel.path);
    const tails: Buffer[] = [];
    const texts: string[] = [];
    eventsRaw.forEach((event: unknown, position) => {
      const identifier = randomUUID();
      const problem = eventProblem(event, limits.maxEventBytes);
      if (problem) {
        failed.push({ identifier, index: position, code: 400, message: problem });
        return;
      }
      successful.push({ identifier, index: position });
      counters.events++;
      tails.push(perSubscriber ? EMPTY : dataTail(event as string));
      texts.push(event as string);
    });
    if (audience.length > 0 && tails.length > 0) enqueue(channel.path, audience, tails, texts);
    counters.publishes++;
    return { status: 200, successful, failed };
  };

  // --- HTTP: POST /event ----------------------------------------------------------------------
  const answer = (response: ServerResponse, status: number, body: Json) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(text);
  };
  const refuse = (response: ServerResponse, status: number, errorType: string, message: string) => {
    if (status === 401) counters.unauthorized++;
    else counters.badRequests++;
    answer(response, status, { errors: [{ errorType, message }] });
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== PUBLISH_PATH) {
      refuse(response, 404, 'NotFoundException', 'Not Found');
      return;
    }
    if (request.method !== 'POST') {
      refuse(response, 405, 'BadRequestException', 'Publishing (POST) is the only action of this endpoint');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PUBLISH_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_PUBLISH_BODY_BYTES) {
        refuse(response, 413, 'BadRequestException', 'The publish payload is larger than 1.2 MB');
        return;
      }
      const body = Buffer.concat(chunks);
      // Publishing is IAM only: an API key (valid or not) is not enough.
      const problem = verifier.verify({
        method: 'POST',
        url: request.url ?? PUBLISH_PATH,
        headers: request.headers,
        body,
      });
      if (problem) {
        refuse(response, 401, 'UnauthorizedException', UNAUTHORIZED);
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        refuse(response, 400, 'BadRequestException', 'The body is not JSON');
        return;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        refuse(response, 400, 'BadRequestException', 'The body must be {"channel", "events"}');
        return;
      }
      const { channel, events } = parsed as Json;
      const outcome = publish(channel, events);
      if (outcome.status === 400) {
        refuse(response, 400, outcome.error.errorType, outcome.error.message);
        return;
      }
      answer(response, 200, { failed: outcome.failed, successful: outcome.successful });
    });
  };

  // --- WebSocket ------------------------------------------------------------------------------
  const send = (connection: Connection, message: Json) => {
    if (connection.socket.writable) connection.ws.send(JSON.stringify(message));
  };
  const errorMessage = (type: string, id: unknown, errorType: string, message: string): Json => ({
    type,
    ...(typeof id === 'string' ? { id } : {}),
    errors: [{ errorType, message }],
  });

  const close = (connection: Connection) => {
    if (!connections.delete(connection)) return;
    clearTimeout(connection.initTimer);
    for (const subscription of connection.subscriptions.values())
      index.remove(subscription.channel, subscription);
    connection.subscriptions.clear();
  };

  const onSubscribe = (connection: Connection, message: Json) => {
    const { id } = message;
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) {
      counters.badRequests++;
      send(
        connection,
        errorMessage('subscribe_error', id, 'BadRequestException', 'id must be a string of 1-128 characters'),
      );
      return;
    }
    if (!hasApiKey(asAuthorization(message.authorization), apiKey)) {
      counters.unauthorized++;
      send(connection, errorMessage('subscribe_error', id, 'UnauthorizedException', UNAUTHORIZED));
      return;
    }
    const channel: ParsedChannel = parseChannel(message.channel, limits, true);
    if (!channel.ok) {
      counters.badRequests++;
      send(connection, errorMessage('subscribe_error', id, 'BadRequestException', channel.message));
      return;
    }
    if (!namespaces.has(channel.namespace)) {
      counters.badRequests++;
      send(
        connection,
        errorMessage(
          'subscribe_error',
          id,
          'BadRequestException',
          `Channel namespace '${channel.namespace}' not found`,
        ),
      );
      return;
    }
    if (connection.subscriptions.has(id)) {
      counters.badRequests++;
      send(
        connection,
        errorMessage('subscribe_error', id, 'DuplicatedOperationError', `Subscription id ${id} is in use`),
      );
      return;
    }
    if (connection.subscriptions.size >= limits.maxSubscriptionsPerConnection) {
      counters.badRequests++;
      send(
        connection,
        errorMessage(
          'subscribe_error',
          id,
          'MaxSubscriptionsReachedError',
          `A connection has at most ${limits.maxSubscriptionsPerConnection} subscriptions`,
        ),
      );
      return;
    }
    const subscription: Subscription = {
      id,
      connection,
      channel: { path: channel.path, wildcard: channel.wildcard },
      head: dataHead(id),
    };
    connection.subscriptions.set(id, subscription);
    index.add(subscription.channel, subscription);
    send(connection, { type: 'subscribe_success', id });
  };

  const onUnsubscribe = (connection: Connection, message: Json) => {
    const { id } = message;
    const subscription = typeof id === 'string' ? connection.subscriptions.get(id) : undefined;
    if (!subscription) {
      counters.badRequests++;
      send(
        connection,
        errorMessage('unsubscribe_error', id, 'UnknownOperationError', 'No subscription with this id'),
      );
      return;
    }
    connection.subscriptions.delete(id as string);
    index.remove(subscription.channel, subscription);
    send(connection, { type: 'unsubscribe_success', id });
  };

  const onPublish = (connection: Connection, message: Json) => {
    const { id, channel, events } = message;
    if (typeof id !== 'string' || id.length === 0) {
      counters.badRequests++;
      send(connection, errorMessage('publish_error', id, 'BadRequestException', 'id is required'));
      return;
    }
    // The signature covers what the HTTP publish body would be: the channel and the events.
    const signed = JSON.stringify({ channel, events });
    if (!hasIamSignature(asAuthorization(message.authorization), signed, verifier)) {
      counters.unauthorized++;
      send(connection, errorMessage('publish_error', id, 'UnauthorizedException', UNAUTHORIZED));
      return;
    }
    const outcome = publish(channel, events);
    if (outcome.status === 400) {
      counters.badRequests++;
      send(connection, errorMessage('publish_error', id, outcome.error.errorType, outcome.error.message));
      return;
    }
    send(connection, { type: 'publish_success', id, successful: outcome.successful, failed: outcome.failed });
  };

  const onMessage = (connection: Connection, data: RawData, isBinary: boolean) => {
    let message: Json;
    try {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
      const parsed: unknown = isBinary ? undefined : JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
      message = parsed as Json;
    } catch {
      counters.badRequests++;
      send(
        connection,
        errorMessage('error', undefined, 'BadRequestException', 'A message must be a JSON object'),
      );
      return;
    }
    if (message.type === 'connection_init') {
      clearTimeout(connection.initTimer);
      if (!hasApiKey(connection.authorization, apiKey)) {
        counters.unauthorized++;
        send(connection, errorMessage('connection_error', undefined, 'UnauthorizedException', UNAUTHORIZED));
        connection.ws.close(1000, 'Unauthorized');
        return;
      }
      connection.acknowledged = true;
      send(connection, { type: 'connection_ack', connectionTimeoutMs: CONNECTION_TIMEOUT_MS });
      return;
    }
    if (!connection.acknowledged) {
      counters.badRequests++;
      send(
        connection,
        errorMessage('error', message.id, 'BadRequestException', 'Send connection_init first'),
      );
      return;
    }
    switch (message.type) {
      case 'subscribe':
        onSubscribe(connection, message);
        return;
      case 'unsubscribe':
        onUnsubscribe(connection, message);
        return;
      case 'publish':
        onPublish(connection, message);
        return;
      default:
        counters.badRequests++;
        send(
          connection,
          errorMessage(
            'error',
            message.id,
            'UnsupportedOperation',
            `${String(message.type)} is not supported`,
          ),
        );
    }
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((protocol) => protocol.trim());
    if (path !== REALTIME_PATH || !protocols.includes(EVENTS_PROTOCOL)) {
      counters.badRequests++;
      const status = path !== REALTIME_PATH ? '404 Not Found' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    let authorization: Authorization | undefined;
    for (const protocol of protocols) authorization ??= decodeHeaderProtocol(protocol);
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: Connection = {
        ws,
        socket: socket as Socket,
        authorization,
        acknowledged: false,
        subscriptions: new Map(),
        initTimer: undefined,
      };
      // Nagle off: a `data` frame is one write and should leave now, not wait for an ACK.
      connection.socket.setNoDelay(true);
      connection.initTimer = setTimeout(
        () => ws.close(1000, 'connection_init not received'),
        limits.connectionInitTimeoutMs,
      );
      connection.initTimer.unref();
      connections.add(connection);
      ws.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
      ws.on('close', () => close(connection));
      ws.on('error', () => close(connection));
    });
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, onRequest);
  server.on('upgrade', onUpgrade);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const authority = `${host}:${port}`;

  return {
    port,
    host: authority,
    httpUrl: `http://${authority}${PUBLISH_PATH}`,
    realtimeUrl: `ws://${authority}${REALTIME_PATH}`,
    stats: (): EventsApiStats => ({
      connections: connections.size,
      subscriptions: index.size,
      ...counters,
      queued: queue.reduce((sum, job) => sum + job.tails.length, 0),
    }),
    stop: async () => {
      clearInterval(keepAlive);
      queue.length = 0;
      waiting.clear();
      for (const connection of [...connections]) {
        close(connection);
        connection.ws.terminate();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** Why one event of a publish cannot be delivered, or undefined. */
function eventProblem(event: unknown, maxBytes: number): string | undefined {
  if (typeof event !== 'string') return 'An event must be a string of JSON text';
  if (Buffer.byteLength(event, 'utf8') > maxBytes) return `An event is at most ${maxBytes} bytes`;
  try {
    JSON.parse(event);
  } catch {
    return 'An event must be valid JSON text';
  }
  return undefined;
}
