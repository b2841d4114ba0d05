/**
 * The management face of the local WebSocket API: `POST|GET|DELETE /@connections/{id}`
 * (optionally under a stage prefix, `/{stage}/@connections/{id}`), served on the client side's
 * port, so `@aws-sdk/client-apigatewaymanagementapi` with `endpoint: http://HOST:PORT` works
 * unchanged. An unknown connection answers 410 with `x-amzn-ErrorType: GoneException`, which the SDK
 * maps to `GoneException`.
 *
 * As on AWS, every request must carry a valid SigV4 signature for `execute-api` made with the local
 * credentials: a missing or bad one is 403 `ForbiddenException`. The account-wide request budget
 * (default 10,000 requests/s, burst 5,000) answers 429 `LimitExceededException` when spent. A POST
 * past the message payload limit (128 KiB) answers 413 PayloadTooLargeException.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocket } from 'ws';
import { type LocalCredentials, SigV4Verifier } from '../../identity/sigv4-verifier.js';
import type { AccountBudget } from '../account-budget.js';
import type { Connection, ConnectionTable } from './connection-table.js';
import { TokenBucket } from './token-bucket.js';

/** What the management API answered, for the runtime's summary and the benchmarks. */
export interface ManagementStats {
  posts: number;
  delivered: number;
  gone: number;
  forbidden: number;
  throttled: number;
  /** Handshakes the client side refused at the connect rate or the account budget (counted there, reported here). */
  connectsThrottled: number;
  /** Inbound messages the client side refused over the account budget (counted there, reported here). */
  messagesThrottled: number;
}

export interface ManagementSideOptions {
  /** The client side's table of open connections. */
  connections: ConnectionTable;
  /** The client side's way to end a connection (DELETE), so `$disconnect` is invoked as for any close. */
  disconnect: (connection: Connection, statusCode: number, reason: string) => void;
  /** The credentials requests must be signed with; `false` turns the check off. */
  credentials: LocalCredentials | false;
  /** The region of the signature's credential scope. */
  region: string;
  /** This API's own budget, used without `accountBudget`. */
  managementRate: { perSecond: number; burst: number };
  /** The account's one budget (every management call takes from it), when given. */
  accountBudget?: AccountBudget | undefined;
  maxMessageBytes: number;
  stats: ManagementStats;
}

const MANAGEMENT_PATH = /^(?:\/[^/]+)?\/@connections\/([^/?]+)\/?(?:\?.*)?$/;

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

/** The server's `request` listener: every plain HTTP request to the gateway's port is a management call. */
export function createManagementSide(
  options: ManagementSideOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { connections, disconnect, maxMessageBytes, stats } = options;
  const verifier = options.credentials ? new SigV4Verifier(options.credentials, options.region) : undefined;
  const ownBudget = new TokenBucket(options.managementRate.perSecond, options.managementRate.burst);
  const accountBudget = options.accountBudget;
  const take = accountBudget ? () => accountBudget.take('management') : () => ownBudget.take();

  return (request, response) => {
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
          stats.forbidden++;
          sendError(response, 403, 'ForbiddenException', problem);
          return;
        }
      }
      if (!take()) {
        stats.throttled++;
        sendError(response, 429, 'LimitExceededException', 'Rate exceeded');
        return;
      }
      if (request.method === 'POST') stats.posts++;
      if (!connection || connection.disconnected || connection.socket.readyState !== WebSocket.OPEN) {
        if (request.method === 'POST') stats.gone++;
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
          stats.delivered++;
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
}
