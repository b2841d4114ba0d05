/**
 * The live object's side of the broadcast tier (API.md v1.2): the topics it reads from their
 * channel instead of the WebSocket API, after a `subscribed` with `delivery: "broadcast"` or a
 * `delivery.changed`. Channel events are the very messages a direct watcher gets, so live.ts feeds
 * them to the same handler as pushes, with the same seq rules (older or repeated ones dropped, a
 * gap caught up through `/events`). What this adds:
 *
 * - one socket per Events API for all followed topics (events-channel.ts), opened on the first
 *   and closed after the last;
 * - `onSubscribed` each time a topic's channel subscription (re)starts: the channel keeps no
 *   history, so whatever happened between the snapshot (or the last event) and this moment is
 *   fetched (auctions: `/events?since=`; products: the product), once per (re)subscription.
 */
import { type BroadcastInfo, ChannelSocket, type ChannelSocketConstructor } from './events-channel.js';

export interface BroadcastFollowerOptions {
  WebSocket: ChannelSocketConstructor;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** One event's text, for the live object's message handler. */
  onEvent(text: string): void;
  /** The topic's channel subscription is up (again): fetch what may have been missed. */
  onSubscribed(topic: string): void;
  onError(topic: string, message: string): void;
}

interface Followed {
  socketKey: string;
  stop: () => void;
}

export class BroadcastFollower {
  private readonly sockets = new Map<string, ChannelSocket>();
  private readonly followed = new Map<string, Followed>();

  constructor(private readonly options: BroadcastFollowerOptions) {}

  /** Starts reading `topic` (`auction:ID` / `product:ID`) from its channel; a no-op if already. */
  follow(topic: string, info: BroadcastInfo): void {
    if (this.followed.has(topic)) return;
    const colon = topic.indexOf(':');
    const kind = topic.slice(0, colon) as 'auction' | 'product';
    const template = info.channels[kind];
    if (!template) return;
    const channel = template.replace('{id}', topic.slice(colon + 1));
    const socketKey = `${info.realtimeUrl} ${JSON.stringify(info.authorization)}`;
    let socket = this.sockets.get(socketKey);
    if (!socket) {
      socket = new ChannelSocket(info, {
        WebSocket: this.options.WebSocket,
        reconnectBaseMs: this.options.reconnectBaseMs,
        reconnectMaxMs: this.options.reconnectMaxMs,
      });
      this.sockets.set(socketKey, socket);
    }
    const stop = socket.follow(channel, {
      onEvent: (text) => this.options.onEvent(text),
      onSubscribed: () => this.options.onSubscribed(topic),
      onError: (message) => this.options.onError(topic, message),
    });
    this.followed.set(topic, { socketKey, stop });
  }

  following(topic: string): boolean {
    return this.followed.has(topic);
  }

  unfollow(topic: string): void {
    const followed = this.followed.get(topic);
    if (!followed) return;
    this.followed.delete(topic);
    followed.stop();
    const socket = this.sockets.get(followed.socketKey);
    if (socket && socket.size === 0) {
      socket.close();
      this.sockets.delete(followed.socketKey);
    }
  }

  close(): void {
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
    this.followed.clear();
  }
}
