/**
 * A local stand-in for an API Gateway WebSocket API, reusable by the local runtime and by tests.
 * It has two faces on one port, sharing one table of open connections (connection-table.ts):
 *
 * - the client side (client-side.ts): the `ws` server clients connect to, the `$connect` /
 *   route / `$default` / `$disconnect` invocations of the handler, the connect rate and the
 *   payload, idle and duration limits;
 * - the management API (management-side.ts): `POST|GET|DELETE /@connections/{id}`, SigV4-checked
 *   with the local credentials (`credentials`; default `local` / `local`) and throttled by the
 *   account-wide request budget (`accountBudget`, shared with the HTTP gateway in the runtime).
 *
 * Limits imitated (API Gateway quotas), all configurable: message payload 128 KiB both directions,
 * idle timeout 10 minutes, maximum connection duration 2 hours, management API 10,000 requests/s
 * (burst 5,000), 500 new connections/s.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { LocalCredentials } from '../../identity/sigv4-verifier.js';
import { AccountBudget, type AccountBudgetShare } from '../account-budget.js';
import { createClientSide } from './client-side.js';
import type { ConnectionTable } from './connection-table.js';
import type { WebSocketHandler } from './events.js';
import { createManagementSide, type ManagementStats } from './management-side.js';

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
  /**
   * Management API budget when the gateway runs alone (tests); ignored with `accountBudget`,
   * which the management API then takes from, as on AWS.
   */
  managementRate?: { perSecond: number; burst: number };
  /**
   * The account's one request budget (API Gateway throttles HTTP APIs, WebSocket APIs and the
   * management API together): connects, inbound messages and management calls take from it. A
   * share, so the gateway's own thread takes from the bucket the HTTP gateway takes from.
   */
  accountBudget?: AccountBudgetShare;
  /** New connections per second (API Gateway: 500/s per account and region). */
  connectRate?: { perSecond: number; burst: number };
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

export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const host = options.host ?? '127.0.0.1';
  const maxMessageBytes = options.maxMessageBytes ?? API_GATEWAY_LIMITS.maxMessageBytes;
  const connections: ConnectionTable = new Map();
  let domainName = host;
  const managementStats: ManagementStats = {
    posts: 0,
    delivered: 0,
    gone: 0,
    forbidden: 0,
    throttled: 0,
    connectsThrottled: 0,
    messagesThrottled: 0,
  };
  const onError = options.onError ?? ((message, error) => console.error(message, error));
  const accountBudget = options.accountBudget ? AccountBudget.attach(options.accountBudget) : undefined;

  const clients = createClientSide({
    handler: options.handler,
    stage: options.stage ?? 'local',
    apiId: options.apiId ?? 'local',
    routes: options.routes ?? [],
    maxMessageBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? API_GATEWAY_LIMITS.idleTimeoutMs,
    maxConnectionMs: options.maxConnectionMs ?? API_GATEWAY_LIMITS.maxConnectionMs,
    connectRate: options.connectRate ?? API_GATEWAY_LIMITS.connectRate,
    accountBudget,
    connections,
    stats: managementStats,
    domainName: () => domainName,
    onError,
  });
  const onManagementRequest = createManagementSide({
    connections,
    disconnect: clients.disconnect,
    credentials: options.credentials === undefined ? LOCAL_CREDENTIALS : options.credentials,
    region: options.region ?? 'us-east-1',
    managementRate: options.managementRate ?? API_GATEWAY_LIMITS.managementRate,
    accountBudget,
    maxMessageBytes,
    stats: managementStats,
  });

  // One port for both faces, as on AWS (wss://id.execute-api... and https://id.execute-api.../@connections).
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, onManagementRequest);
  server.on('upgrade', (request, socket, head) => {
    clients.onUpgrade(request, socket, head).catch((error: unknown) => {
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
      await clients.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
