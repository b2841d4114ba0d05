/**
 * The broadcast channels' socket (API.md v1.2, "Broadcast channels for crowds"): one WebSocket to
 * the Events API per client, shared by every topic that is delivered by broadcast, speaking the
 * AppSync Events protocol (https://docs.aws.amazon.com/appsync/latest/eventapi/event-api-websocket-protocol.html):
 *
 * - subprotocols `aws-appsync-event-ws` and `header-<base64url(authorization JSON)>`;
 * - `connection_init` -> `connection_ack` (`connectionTimeoutMs`), then `ka` from the server: no
 *   `ka` within `connectionTimeoutMs` means a dead connection, replaced like a closed one;
 * - per channel `subscribe` {id, channel, authorization} -> `subscribe_success` / `subscribe_error`,
 *   `data` {id, event: JSON text}, `unsubscribe` {id}.
 *
 * What it promises the live object (live.ts): every event of a followed channel that arrives while
 * the subscription is up is handed over as text; `onSubscribed` is called each time a subscription
 * (re)starts, so the caller can fetch what it may have missed before (the channel keeps no
 * history). Lost sockets are replaced with backoff and full jitter; nothing else is ordered or
 * deduplicated here (events may arrive late, twice or out of order: the caller's seq rules decide).
 */
import { backoffDelay, newIdempotencyKey } from './transport.js';
import type { BroadcastInfo, WebSocketLike } from './types.js';

export type { BroadcastInfo };

export type ChannelSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

export interface ChannelHandlers {
  /** One event's JSON text (the same message a direct watcher gets). */
  onEvent(text: string): void;
  /** The subscription is up (again): events from now on arrive; fetch what came before. */
  onSubscribed(): void;
  onError(message: string): void;
}

export interface ChannelSocketOptions {
  WebSocket: ChannelSocketConstructor;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Until `connection_ack`, and for a `subscribe` answer (default 15 s). */
  answerTimeoutMs?: number;
}

interface Follower {
  channel: string;
  handlers: ChannelHandlers;
  /** The id of the current `subscribe` (a new one per attempt); undefined while not sent. */
  id: string | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

const OPEN = 1;

export const EVENTS_SUBPROTOCOL = 'aws-appsync-event-ws';

/** `header-<base64url>` of the authorization object, as AppSync Events reads it at the handshake. */
export function headerSubprotocol(authorization: Record<string, string>): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(JSON.stringify(authorization)))
    binary += String.fromCharCode(byte);
  const base64 = btoa(binary);
  return `header-${base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** One socket to one Events API endpoint, shared by all the channels this client follows there. */
export class ChannelSocket {
  private socket: WebSocketLike | undefined;
  private ready = false;
  private closed = false;
  private failures = 0;
  private readonly followers = new Set<Follower>();
  private readonly byId = new Map<string, Follower>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private aliveTimer: ReturnType<typeof setTimeout> | undefined;
  private connectionTimeoutMs = 300_000;

  constructor(
    private readonly info: Pick<BroadcastInfo, 'realtimeUrl' | 'authorization'>,
    private readonly options: ChannelSocketOptions,
  ) {}

  /** Follows `channel` until the returned function is called. */
  follow(channel: string, handlers: ChannelHandlers): () => void {
    const follower: Follower = { channel, handlers, id: undefined, retryTimer: undefined };
    this.followers.add(follower);
    if (!this.socket) this.open();
    else if (this.ready) this.subscribe(follower);
    return () => this.unfollow(follower);
  }

  get size(): number {
    return this.followers.size;
  }

  close(): void {
    this.closed = true;
    for (const follower of this.followers) clearTimeout(follower.retryTimer);
    this.followers.clear();
    this.byId.clear();
    clearTimeout(this.reconnectTimer);
    this.drop();
  }

  private unfollow(follower: Follower) {
    if (!this.followers.delete(follower)) return;
    clearTimeout(follower.retryTimer);
    if (follower.id !== undefined) {
      this.byId.delete(follower.id);
      this.sendRaw({ type: 'unsubscribe', id: follower.id });
    }
    // The last channel gone: no socket is kept open for nothing (AppSync bills connection minutes).
    if (this.followers.size === 0) {
      clearTimeout(this.reconnectTimer);
      this.drop();
    }
  }

  private open() {
    if (this.closed || this.followers.size === 0) return;
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.info.realtimeUrl, [
        EVENTS_SUBPROTOCOL,
        headerSubprotocol(this.info.authorization),
      ]);
    } catch (error) {
      this.reportAll(`could not connect to ${this.info.realtimeUrl}: ${String(error)}`);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.ready = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.sendRaw({ type: 'connection_init' });
      this.expectAliveWithin(this.options.answerTimeoutMs ?? 15_000);
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.onMessage(typeof event.data === 'string' ? event.data : String(event.data));
    };
    socket.onerror = () => undefined; // a close follows
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.drop();
      this.scheduleReconnect();
    };
  }

  private onMessage(text: string) {
    let message: {
      type?: string;
      id?: string;
      event?: unknown;
      connectionTimeoutMs?: number;
      errors?: unknown;
    };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    switch (message.type) {
      case 'connection_ack':
        this.ready = true;
        this.failures = 0;
        if (typeof message.connectionTimeoutMs === 'number' && message.connectionTimeoutMs > 0)
          this.connectionTimeoutMs = message.connectionTimeoutMs;
        this.expectAliveWithin(this.connectionTimeoutMs);
        for (const follower of this.followers) this.subscribe(follower);
        return;
      case 'ka':
        this.expectAliveWithin(this.connectionTimeoutMs);
        return;
      case 'data': {
        const follower = message.id === undefined ? undefined : this.byId.get(message.id);
        if (!follower) return;
        const event = message.event;
        follower.handlers.onEvent(typeof event === 'string' ? event : JSON.stringify(event));
        return;
      }
      case 'subscribe_success': {
        const follower = message.id === undefined ? undefined : this.byId.get(message.id);
        if (!follower) return;
        clearTimeout(follower.retryTimer);
        follower.retryTimer = undefined;
        follower.handlers.onSubscribed();
        return;
      }
      case 'subscribe_error': {
        const follower = message.id === undefined ? undefined : this.byId.get(message.id);
        if (!follower) return;
        follower.handlers.onError(
          `subscribe to ${follower.channel} refused: ${JSON.stringify(message.errors ?? [])}`,
        );
        this.retrySubscribe(follower);
        return;
      }
      case 'connection_error':
      case 'error':
        this.reportAll(`events API: ${text.slice(0, 300)}`);
        return;
      default:
        return;
    }
  }

  private subscribe(follower: Follower) {
    if (follower.id !== undefined) this.byId.delete(follower.id);
    const id = newIdempotencyKey();
    follower.id = id;
    this.byId.set(id, follower);
    if (
      !this.sendRaw({
        type: 'subscribe',
        id,
        channel: follower.channel,
        authorization: this.info.authorization,
      })
    )
      return;
    // No answer in time: ask again (a late success of the first id is then ignored).
    clearTimeout(follower.retryTimer);
    follower.retryTimer = setTimeout(() => {
      if (this.followers.has(follower) && this.ready) this.subscribe(follower);
    }, this.options.answerTimeoutMs ?? 15_000);
  }

  private retrySubscribe(follower: Follower) {
    clearTimeout(follower.retryTimer);
    const delay = backoffDelay(1, this.options.reconnectBaseMs * 4, this.options.reconnectMaxMs);
    follower.retryTimer = setTimeout(() => {
      if (this.followers.has(follower) && this.ready) this.subscribe(follower);
    }, delay);
  }

  /** No message (ack, ka) within `ms`: the connection is dead even without a close (half-open TCP). */
  private expectAliveWithin(ms: number) {
    clearTimeout(this.aliveTimer);
    this.aliveTimer = setTimeout(() => {
      this.drop();
      this.scheduleReconnect();
    }, ms);
  }

  private scheduleReconnect() {
    if (this.closed || this.followers.size === 0) return;
    clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.failures, this.options.reconnectBaseMs, this.options.reconnectMaxMs);
    this.failures += 1;
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private drop() {
    const socket = this.socket;
    this.socket = undefined;
    this.ready = false;
    clearTimeout(this.aliveTimer);
    for (const follower of this.followers) {
      clearTimeout(follower.retryTimer);
      follower.retryTimer = undefined;
      if (follower.id !== undefined) this.byId.delete(follower.id);
      follower.id = undefined;
    }
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => undefined;
    try {
      socket.close();
    } catch {
      // already closing
    }
  }

  private sendRaw(message: Record<string, unknown>): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  private reportAll(message: string) {
    for (const follower of this.followers) follower.handlers.onError(message);
  }
}
