import type { WebSocket } from 'ws';

/** One open client connection, as both faces of the gateway see it. */
export interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string | undefined;
  timer: NodeJS.Timeout | undefined;
  disconnected: boolean;
}

/**
 * The connections open now, the one thing the two faces share: the client side adds a connection
 * once its `$connect` is accepted and removes it when it ends; the management API finds it by id to
 * post to it, describe it or end it.
 */
export type ConnectionTable = Map<string, Connection>;
