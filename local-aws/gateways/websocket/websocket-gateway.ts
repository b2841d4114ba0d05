/**
 * A local stand-in for an API Gateway WebSocket API, reusable by the local runtime and by tests.
 *
 * - A `ws` server: each connection gets an id (16 characters, base64 like AWS's, so it may contain
 *   `+`, `/` and `=` and must be URL-encoded in management calls), and the gateway invokes the
 *   handler with API Gateway WebSocket proxy events: `$connect` (with headers and
 *   `queryStringParameters`), one route per message chosen by the route selection expression
 *   `$request.body.action` (falling back to `$default`), and `$disconnect`.
 * - `$connect` returning a statusCode outside 2xx (or throwing) refuses the WebSocket handshake with
 *   that HTTP status, as API Gateway does.
 * - A handler error on a message route sends the client API Gateway's
 *   `{"message":"Internal server error","connectionId","requestId"}`.
 * - The management API on the same port: `POST|GET|DELETE /@connections/{id}` (optionally under a
 *   stage prefix, `/{stage}/@connections/{id}`), so `@aws-sdk/client-apigatewaymanagementapi` with
 *   `endpoint: http://HOST:PORT` works unchanged. An unknown connection answers 410 with
 *   `x-amzn-ErrorType: GoneException`, which the SDK maps to `GoneException`.
 * - As on AWS, every management request must carry a valid SigV4 signature for `execute-api` made
 *   with the local credentials (`credentials`; default `local` / `local`): a missing or bad one is
 *   403 `ForbiddenException`. The account-wide request budget (default 10,000 requests/s, burst
 *   5,000) answers 429 `LimitExceededException` when spent, and new connections beyond 500/s are
 *   refused with 429 at the handshake.
 *
 * Limits imitated (API Gateway quotas), all configurable:
 * - message payload 128 KiB, both directions: a larger inbound message closes the connection with
 *   1009 (message too big); a larger POST answers 413 PayloadTooLargeException. API Gateway's
 *   separate 32 KiB per-frame quota is not imitated (`ws` limits whole messages, not frames).
 * - idle timeout 10 minutes: a connection with no inbound message for that long is closed
 *   (1001 "Going away") and `$disconnect` is invoked. Outbound posts do not count as activity.
 * - maximum connection duration 2 hours, then the same close.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type LocalCredentials, SigV4Verifier } from '../../identity/sigv4-verifier.js';
import { TokenBucket } from './token-bucket.js';

export interface WebSocketRequestContext {
  routeKey: string;
  messageId?: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  extendedRequestId: string;
  requestTime: string;
  messageDirection: 'IN';
  stage: string;
  connectedAt: number;
  requestTimeEpoch: number;
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
  identity: { sourceIp: string; userAgent?: string };
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

/** The shape of API Gateway's WebSocket proxy integration event (what `functions/ws/lambda.ts` gets). */
export interface WebSocketEvent {
  requestContext: WebSocketRequestContext;
  isBase64Encoded: boolean;
  body?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
}

export interface WebSocketHandlerResult {
  statusCode?: number;
  body?: string;
  /** Only Retry-After is passed on, on a refused `$connect` (a 503 while the token issuer's keys are unreachable). */
  headers?: Record<string, string>;
}

/** A Lambda handler; its result is read like API Gateway reads a proxy integration's result. */
export type WebSocketHandler = (event: WebSocketEvent, context: Record<string, unknown>) => Promise<unknown>;

export interface WebSocketGatewayOptions {
  /** Invoked for `$connect`, `$disconnect`, `$default` and every route in `routes`. */
  handler: WebSocketHandler;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  stage?: string;
  apiId?: string;
  /** Route keys besides `$connect` / `$disconnect` / `$default` that `body.action` may select. */
  routes?: readonly string[];
  maxMessageBytes?: number;
  idleTimeoutMs?: number;
  maxConnectionMs?: number;
  /** Gets problems the gateway itself meets (handler errors); defaults to console.error. */
  onError?: (message: string, error: unknown) => void;
  /** The credentials management calls must be signed with; `false` turns the check off (unit tests of other parts). */
  credentials?: LocalCredentials | false;
  /** The region of the signature's credential scope (default us-east-1). */
  region?: string;
  /** Account-wide management API budget. */
  managementRate?: { perSecond: number; burst: number };
  /** New connections per second (API Gateway: 500/s per account and region). */
  connectRate?: { perSecond: number; burst: number };
}

/** What the management API answered, for the runtime's summary and the benchmarks. */
export interface ManagementStats {
  posts: number;
  delivered: number;
  gone: number;
  forbidden: number;
  throttled: number;
  connectsThrottled: number;
}

export interface WebSocketGateway {
  port: number;
  /** `ws://host:port` */
  url: string;
  /** What `WS_MANAGEMENT_ENDPOINT` should be set to: `http://host:port`. */
  managementEndpoint: string;
  connectionCount(): number;
  managementStats: ManagementStats;
  /** Closes every connection (each gets `$disconnect`) and the server. */
  close(): Promise<void>;
}

export const API_GATEWAY_LIMITS = {
  maxMessageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  managementRate: { perSecond: 10_000, burst: 5_000 },
  connectRate: { perSecond: 500, burst: 500 },
} as const;

export const LOCAL_CREDENTIALS: LocalCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string | undefined;
  timer: NodeJS.Timeout | undefined;
  disconnected: boolean;
}

const MANAGEMENT_PATH = /^(?:\/[^/]+)?\/@connections\/([^/?]+)\/?(?:\?.*)?$/;

export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

function routeFor(body: string, routes: ReadonlySet<string>): string {
  if (routes.size === 0) return '$default';
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'action' in parsed) {
      const action = (parsed as { action: unknown }).action;
      if (typeof action === 'string' && routes.has(action)) return action;
    }
  } catch {
    // not JSON: the expression does not resolve, API Gateway uses $default
  }
  return '$default';
}

function resultOf(raw: unknown): WebSocketHandlerResult {
  if (raw === null || typeof raw !== 'object') return {};
  const { statusCode, body, headers } = raw as Record<string, unknown>;
  const retryAfter = (headers as Record<string, unknown> | undefined)?.['Retry-After'];
  return {
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    ...(typeof body === 'string' ? { body } : {}),
    ...(typeof retryAfter === 'string' && /^\d{1,6}$/.test(retryAfter)
      ? { headers: { 'Retry-After': retryAfter } }
      : {}),
  };
}

function isSuccess(result: WebSocketHandlerResult): boolean {
  const status = result.statusCode ?? 200;
  return status >= 200 && status < 300;
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ message });
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-ErrorType': type,
    'x-amzn-RequestId': randomUUID(),
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const apiId = options.apiId ?? 'local';
  const routes = new Set(options.routes ?? []);
  const maxMessageBytes = options.maxMessageBytes ?? API_GATEWAY_LIMITS.maxMessageBytes;
  const idleTimeoutMs = options.idleTimeoutMs ?? API_GATEWAY_LIMITS.idleTimeoutMs;
  const maxConnectionMs = options.maxConnectionMs ?? API_GATEWAY_LIMITS.maxConnectionMs;
  const onError = options.onError ?? ((message, error) => console.error(message, error));
  const connections = new Map<string, Connection>();
  let domainName = host;
  const credentials = options.credentials === undefined ? LOCAL_CREDENTIALS : options.credentials;
  const verifier = credentials ? new SigV4Verifier(credentials, options.region ?? 'us-east-1') : undefined;
  const managementRate = options.managementRate ?? API_GATEWAY_LIMITS.managementRate;
  const connectRate = options.connectRate ?? API_GATEWAY_LIMITS.connectRate;
  const managementBudget = new TokenBucket(managementRate.perSecond, managementRate.burst);
  const connectBudget = new TokenBucket(connectRate.perSecond, connectRate.burst);
  const managementStats: ManagementStats = {
    posts: 0,
    delivered: 0,
    gone: 0,
    forbidden: 0,
    throttled: 0,
    connectsThrottled: 0,
  };

  const context = (
    eventType: WebSocketRequestContext['eventType'],
    routeKey: string,
    connection: {
      id: string;
      connectedAt: number;
      sourceIp: string;
      userAgent: string | undefined;
    },
  ): WebSocketRequestContext => {
    const now = Date.now();
    const requestId = randomUUID();
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now,
      requestId,
      domainName,
      connectionId: connection.id,
      apiId,
      identity: {
        sourceIp: connection.sourceIp,
        ...(connection.userAgent ? { userAgent: connection.userAgent } : {}),
      },
    };
  };

  const inFlight = new Set<Promise<unknown>>();
  const invoke = (event: WebSocketEvent): Promise<unknown> => {
    const invocation = Promise.resolve().then(() =>
      options.handler(event, { awsRequestId: event.requestContext.requestId, functionName: 'ws' }),
    );
    inFlight.add(invocation);
    const forget = () => inFlight.delete(invocation);
    invocation.then(forget, forget);
    return invocation;
  };

  /** Every path that ends a connection goes through here, so `$disconnect` is invoked exactly once. */
  const disconnect = (connection: Connection, statusCode: number, reason: string) => {
    if (connection.disconnected) return;
    connection.disconnected = true;
    clearTimeout(connection.timer);
    connections.delete(connection.id);
    if (
      connection.socket.readyState === WebSocket.OPEN ||
      connection.socket.readyState === WebSocket.CONNECTING
    ) {
      connection.socket.close(statusCode === 1005 ? 1000 : statusCode, reason.slice(0, 120));
    }
    const requestContext = context('DISCONNECT', '$disconnect', connection);
    requestContext.disconnectStatusCode = statusCode;
    requestContext.disconnectReason = reason;
    invoke({ requestContext, isBase64Encoded: false }).catch((error: unknown) =>
      onError(`$disconnect handler failed for ${connection.id}`, error),
    );
  };

  const armTimer = (connection: Connection) => {
    clearTimeout(connection.timer);
    const now = Date.now();
    const idleAt = connection.lastActiveAt + idleTimeoutMs;
    const maxAt = connection.connectedAt + maxConnectionMs;
    const at = Math.min(idleAt, maxAt);
    connection.timer = setTimeout(
      () => {
        const current = Date.now();
        if (current >= connection.connectedAt + maxConnectionMs) {
          disconnect(connection, 1001, 'Going away: maximum connection duration reached');
        } else if (current >= connection.lastActiveAt + idleTimeoutMs) {
          disconnect(connection, 1001, 'Going away: idle timeout');
        } else {
          armTimer(connection);
        }
      },
      Math.max(0, at - now),
    );
    connection.timer.unref();
  };

  const onMessage = (connection: Connection, data: RawData, isBinary: boolean) => {
    connection.lastActiveAt = Date.now();
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const body = isBinary ? buffer.toString('base64') : buffer.toString('utf8');
    const routeKey = isBinary ? '$default' : routeFor(body, routes);
    const requestContext = context('MESSAGE', routeKey, connection);
    requestContext.messageId = randomBytes(11).toString('base64');
    invoke({ requestContext, body, isBase64Encoded: isBinary })
      .then((raw) => {
        const result = resultOf(raw);
        // A two-way route's response body goes back to the client, as API Gateway does with a
        // route response configured; our functions answer through the management API instead.
        if (result.body !== undefined && result.body !== '' && !connection.disconnected) {
          connection.socket.send(result.body);
        }
      })
      .catch((error: unknown) => {
        onError(`${routeKey} handler failed for ${connection.id}`, error);
        if (!connection.disconnected) {
          connection.socket.send(
            JSON.stringify({
              message: 'Internal server error',
              connectionId: connection.id,
              requestId: requestContext.requestId,
            }),
          );
        }
      });
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false });

  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!connectBudget.take()) {
      managementStats.connectsThrottled++;
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://local');
    const pending = {
      id: newConnectionId(),
      connectedAt: Date.now(),
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: request.headers['user-agent'],
    };
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      headers[name] = values.join(',');
      multiValueHeaders[name] = values;
    }
    const event: WebSocketEvent = {
      requestContext: context('CONNECT', '$connect', pending),
      isBase64Encoded: false,
      headers,
      multiValueHeaders,
    };
    if ([...url.searchParams.keys()].length > 0) {
      event.queryStringParameters = {};
      event.multiValueQueryStringParameters = {};
      for (const [name, value] of url.searchParams) {
        event.queryStringParameters[name] = value;
        const values = event.multiValueQueryStringParameters[name] ?? [];
        values.push(value);
        event.multiValueQueryStringParameters[name] = values;
      }
    }
    let status = 500;
    let retryAfter = '';
    try {
      const result = resultOf(await invoke(event));
      status = isSuccess(result) ? 101 : (result.statusCode ?? 500);
      if (result.headers?.['Retry-After']) retryAfter = `Retry-After: ${result.headers['Retry-After']}\r\n`;
    } catch (error) {
      onError(`$connect handler failed for ${pending.id}`, error);
    }
    if (status !== 101) {
      const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Refused';
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\n${retryAfter}Connection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    if (socket.destroyed) {
      // The client went away during $connect: API Gateway still reports the disconnect.
      const requestContext = context('DISCONNECT', '$disconnect', pending);
      invoke({ requestContext, isBase64Encoded: false }).catch(() => undefined);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: Connection = {
        ...pending,
        socket: ws,
        lastActiveAt: Date.now(),
        timer: undefined,
        disconnected: false,
      };
      connections.set(connection.id, connection);
      armTimer(connection);
      ws.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
      ws.on('close', (code, reason) => disconnect(connection, code, reason.toString() || 'Client closed'));
      ws.on('error', (error) => disconnect(connection, 1006, `Socket error: ${error.message}`));
    });
  };

  const onManagementRequest = (request: IncomingMessage, response: ServerResponse) => {
    const match = MANAGEMENT_PATH.exec(request.url ?? '');
    if (!match?.[1]) {
      sendError(response, 404, 'NotFoundException', 'Not Found');
      return;
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1]);
    } catch {
      sendError(response, 400, 'BadRequestException', 'Invalid connection id');
      return;
    }
    const connection = connections.get(connectionId);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxMessageBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      // A body past the limit was not kept whole: it is answered 413 below, unchecked.
      if (verifier && !tooLarge) {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        const problem = verifier.verify({
          method: request.method ?? 'GET',
          url: request.url ?? '/',
          headers: request.headers,
          body,
        });
        if (problem) {
          managementStats.forbidden++;
          sendError(response, 403, 'ForbiddenException', problem);
          return;
        }
      }
      if (!managementBudget.take()) {
        managementStats.throttled++;
        sendError(response, 429, 'LimitExceededException', 'Rate exceeded');
        return;
      }
      if (request.method === 'POST') managementStats.posts++;
      if (!connection || connection.disconnected || connection.socket.readyState !== WebSocket.OPEN) {
        if (request.method === 'POST') managementStats.gone++;
        sendError(response, 410, 'GoneException', `Connection ${connectionId} is gone`);
        return;
      }
      switch (request.method) {
        case 'POST': {
          if (tooLarge) {
            sendError(response, 413, 'PayloadTooLargeException', 'Message too long');
            return;
          }
          const data = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          connection.socket.send(data, { binary: false });
          managementStats.delivered++;
          response.writeHead(200, { 'content-length': 0, 'x-amzn-RequestId': randomUUID() });
          response.end();
          return;
        }
        case 'GET': {
          const body = JSON.stringify({
            connectedAt: new Date(connection.connectedAt).toISOString(),
            identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent ?? '' },
            lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          });
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
          return;
        }
        case 'DELETE': {
          disconnect(connection, 1000, 'Connection closed by the management API');
          response.writeHead(204);
          response.end();
          return;
        }
        default:
          sendError(response, 405, 'MethodNotAllowedException', `${request.method} is not supported`);
      }
    });
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, onManagementRequest);
  server.on('upgrade', (request, socket, head) => {
    onUpgrade(request, socket, head).catch((error: unknown) => {
      onError('WebSocket upgrade failed', error);
      socket.destroy();
    });
  });
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
  domainName = `${host}:${port}`;

  return {
    port,
    url: `ws://${host}:${port}`,
    managementEndpoint: `http://${host}:${port}`,
    connectionCount: () => connections.size,
    managementStats,
    close: async () => {
      for (const connection of [...connections.values()]) {
        disconnect(connection, 1001, 'Going away: gateway shutting down');
      }
      // Handlers still running (the $disconnects just sent among them) finish before close resolves,
      // so a caller may close the handlers' clients afterwards.
      await Promise.allSettled([...inFlight]);
      await new Promise<void>((resolve) => {
        wss.close(() => resolve());
      });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
