/**
 * The client face of the local WebSocket API: what a browser or a `ws` client meets.
 *
 * - Each connection gets an id (16 characters, base64 like AWS's, so it may contain `+`, `/` and
 *   `=` and must be URL-encoded in management calls), and the handler is invoked with API Gateway
 *   WebSocket proxy events: `$connect` (with headers and `queryStringParameters`), one route per
 *   message chosen by the route selection expression `$request.body.action` (falling back to
 *   `$default`), and `$disconnect`.
 * - `$connect` returning a statusCode outside 2xx (or throwing) refuses the WebSocket handshake with
 *   that HTTP status, as API Gateway does; new connections beyond the connect rate (500/s) are
 *   refused with 429 at the handshake.
 * - A handler error on a message route sends the client API Gateway's
 *   `{"message":"Internal server error","connectionId","requestId"}`.
 *
 * Limits imitated (API Gateway quotas):
 * - inbound message payload 128 KiB: a larger message closes the connection with 1009 (message too
 *   big). API Gateway's separate 32 KiB per-frame quota is not imitated (`ws` limits whole messages,
 *   not frames).
 * - idle timeout 10 minutes: a connection with no inbound message for that long is closed
 *   (1001 "Going away") and `$disconnect` is invoked. Outbound posts do not count as activity.
 * - maximum connection duration 2 hours, then the same close.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type AccountBudget, THROTTLED } from '../account-budget.js';
import type { Connection, ConnectionTable } from './connection-table.js';
import type {
  WebSocketEvent,
  WebSocketHandler,
  WebSocketHandlerResult,
  WebSocketRequestContext,
} from './events.js';
import { TokenBucket } from './token-bucket.js';

export interface ClientSideOptions {
  handler: WebSocketHandler;
  stage: string;
  apiId: string;
  /** Route keys besides `$connect` / `$disconnect` / `$default` that `body.action` may select. */
  routes: readonly string[];
  maxMessageBytes: number;
  idleTimeoutMs: number;
  maxConnectionMs: number;
  connectRate: { perSecond: number; burst: number };
  /** The account's one request budget: each connect and each inbound message takes from it. */
  accountBudget?: AccountBudget | undefined;
  /** The table this side fills and empties (the management API reads it). */
  connections: ConnectionTable;
  /** Counts handshakes refused by the connect rate or the account budget, and messages refused by the budget. */
  stats: { connectsThrottled: number; messagesThrottled: number };
  /** `host:port` once the server listens. */
  domainName: () => string;
  onError: (message: string, error: unknown) => void;
}

export interface ClientSide {
  /** The server's `upgrade` listener: `$connect`, then the WebSocket handshake or its refusal. */
  onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>;
  /** Ends a connection (closing its socket if still open) and invokes `$disconnect`, once per connection. */
  disconnect: (connection: Connection, statusCode: number, reason: string) => void;
  /** Ends every connection, waits for the handlers still running, and closes the `ws` server. */
  close: () => Promise<void>;
}

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

export function createClientSide(options: ClientSideOptions): ClientSide {
  const { handler, stage, apiId, idleTimeoutMs, maxConnectionMs, connections, stats, onError } = options;
  const routes = new Set(options.routes);
  const connectBudget = new TokenBucket(options.connectRate.perSecond, options.connectRate.burst);

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
      domainName: options.domainName(),
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
      handler(event, { awsRequestId: event.requestContext.requestId, functionName: 'ws' }),
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
    if (options.accountBudget && !options.accountBudget.take('message')) {
      // Over the account's budget the message is not routed; the client hears why.
      stats.messagesThrottled++;
      if (!connection.disconnected)
        connection.socket.send(THROTTLED.webSocketMessage(connection.id, randomUUID()));
      return;
    }
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

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    perMessageDeflate: false,
  });

  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!connectBudget.take() || (options.accountBudget && !options.accountBudget.take('connect'))) {
      stats.connectsThrottled++;
      socket.end(THROTTLED.connectResponse);
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

  return {
    onUpgrade,
    disconnect,
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
    },
  };
}
