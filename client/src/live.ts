/**
 * The live subscription object (API.md "Real-time WebSocket"). What it promises the app: per
 * topic, states with strictly increasing `seq`, never an older one after a newer one.
 *
 * - One socket, `?token=` from the token source at every (re)connect; `close()` ends it for good.
 * - A ping every `pingIntervalMs` keeps it under API Gateway's 10-minute idle limit; no pong within
 *   `pongTimeoutMs` means a dead connection: it is dropped and replaced.
 * - Lost connections are replaced after a backoff with full jitter (doubling up to a cap; reset
 *   once a connection opens), and every topic is subscribed again.
 * - Auctions: a push whose seq is not the next one (a conflated or lost update), or the snapshot
 *   of a resubscribe after a reconnect, starts a catch-up through `/auctions/{id}/events?since=`:
 *   the missed states are delivered in order, and pushes that arrive meanwhile wait in a buffer
 *   and are delivered after it, those not newer than what was delivered dropped.
 * - Products: every message is the full product and there is no events route, so the newest
 *   state is delivered and older ones dropped.
 * - Broadcast (API.md v1.2): a `subscribed` with `delivery: "broadcast"`, or a `delivery.changed`,
 *   moves the topic to its channel of the Events API (broadcast-follower.ts, one socket per client
 *   for all such topics). Channel events are the same messages as pushes and go through the same
 *   rules; each time the channel subscription (re)starts, what may have been missed before it is
 *   fetched (auctions: `/events?since=`; products: the product).
 */
import { BroadcastFollower } from './broadcast-follower.js';
import type { ChannelSocketConstructor } from './events-channel.js';
import { MeFeed } from './me-feed.js';
import type { RestClient } from './rest.js';
import { backoffDelay, resolveToken } from './transport.js';
import type {
  Auction,
  AuctionEvent,
  AuctionUpdate,
  ClientMessage,
  Live,
  LiveError,
  LiveOptions,
  LiveStatus,
  Notification,
  Product,
  ProductUpdate,
  ServerMessage,
  TokenSource,
  Unsubscribe,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';

type Listener = (update: AuctionUpdate | ProductUpdate) => void;

type AuctionPush = Extract<ServerMessage, { type: 'auction.updated' | 'auction.closed' }>;

interface TopicState {
  kind: 'auction' | 'product';
  id: string;
  name: string;
  listeners: Set<Listener>;
  /** The seq of the newest state delivered (0: none yet). */
  seq: number;
  latest: AuctionUpdate | ProductUpdate | undefined;
  /** Pushes (and a resubscribe's snapshot) held while a catch-up runs. */
  held: AuctionUpdate[];
  catchingUp: boolean;
  /** A reason to fetch once more arrived while a catch-up ran (the channel subscription restarted). */
  catchUpAgain: boolean;
  /**
   * False until this subscription's first snapshot: pushes before it may be the previous
   * subscription's of the same topic (an unsubscribe then subscribe), still in flight; they wait
   * for the snapshot, which is the start, instead of starting a catch-up from seq 0.
   */
  started: boolean;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

const OPEN = 1;
const EVENTS_PAGES_PER_CATCH_UP = 20;

export interface LiveDependencies {
  wsUrl: string;
  token: TokenSource;
  WebSocket: WebSocketConstructor;
  rest: Pick<RestClient, 'auctionEvents' | 'getProduct' | 'myNotifications'>;
}

export function createLive(dependencies: LiveDependencies, options: LiveOptions = {}): Live {
  return new LiveConnection(dependencies, options);
}

class LiveConnection implements Live {
  status: LiveStatus = 'connecting';
  private socket: WebSocketLike | undefined;
  private readonly topics = new Map<string, TopicState>();
  private readonly statusListeners = new Set<(status: LiveStatus) => void>();
  private readonly errorListeners = new Set<(error: LiveError) => void>();
  private failures = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly token: TokenSource;
  private readonly pingIntervalMs: number;
  private readonly pongTimeoutMs: number;
  private readonly reconnectBaseMs: number;
  private readonly reconnectMaxMs: number;
  private readonly broadcast: BroadcastFollower;

  private readonly me: MeFeed<Notification>;

  constructor(
    private readonly dependencies: LiveDependencies,
    options: LiveOptions,
  ) {
    this.token = options.token !== undefined ? options.token : dependencies.token;
    this.me = new MeFeed<Notification>({
      send: (message) => this.sendRaw(message),
      list: (since) => dependencies.rest.myNotifications({ since, limit: 100 }),
      reportCatchUpFailure: (error) =>
        this.report({ code: 'catch_up_failed', message: String(error), topic: 'me' }),
      backoff: (failures) => backoffDelay(failures, 250, 10_000),
    });
    this.pingIntervalMs = options.pingIntervalMs ?? 5 * 60_000;
    this.pongTimeoutMs = options.pongTimeoutMs ?? 15_000;
    this.reconnectBaseMs = options.reconnectBaseMs ?? 250;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 15_000;
    this.broadcast = new BroadcastFollower({
      // Browsers' and the ws package's constructors both take the subprotocols second.
      WebSocket: dependencies.WebSocket as unknown as ChannelSocketConstructor,
      reconnectBaseMs: this.reconnectBaseMs,
      reconnectMaxMs: this.reconnectMaxMs,
      onEvent: (text) => this.onMessage(text),
      onSubscribed: (name) => this.onChannelSubscribed(name),
      onError: (topic, message) => this.report({ code: 'channel_failed', message, topic }),
    });
    void this.open();
  }

  subscribeAuction(id: string, listener: (update: AuctionUpdate) => void): Unsubscribe {
    return this.subscribe('auction', id, listener as Listener);
  }

  subscribeProduct(id: string, listener: (update: ProductUpdate) => void): Unsubscribe {
    return this.subscribe('product', id, listener as Listener);
  }

  subscribeMe(
    listener: (notification: Notification) => void,
    options: { since?: number; onSubscribed?: (seq: number) => void } = {},
  ): Unsubscribe {
    return this.me.subscribe(listener, options);
  }

  onStatus(listener: (status: LiveStatus) => void): Unsubscribe {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onError(listener: (error: LiveError) => void): Unsubscribe {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  close(): void {
    if (this.status === 'closed') return;
    clearTimeout(this.reconnectTimer);
    for (const topic of this.topics.values()) clearTimeout(topic.retryTimer);
    this.broadcast.close();
    this.drop();
    this.setStatus('closed');
  }

  // --- topics --------------------------------------------------------------------------------

  private subscribe(kind: 'auction' | 'product', id: string, listener: Listener): Unsubscribe {
    const name = `${kind}:${id}`;
    let topic = this.topics.get(name);
    if (!topic) {
      topic = {
        kind,
        id,
        name,
        listeners: new Set(),
        seq: 0,
        latest: undefined,
        held: [],
        catchingUp: false,
        catchUpAgain: false,
        started: false,
        retryTimer: undefined,
      };
      this.topics.set(name, topic);
      this.sendSubscribe(topic);
    } else if (topic.latest) {
      // A second listener of a known topic starts from the newest state delivered.
      const latest = topic.latest;
      queueMicrotask(() => topic?.listeners.has(listener) && call(listener, latest));
    }
    topic.listeners.add(listener);
    const current = topic;
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size > 0 || this.topics.get(name) !== current) return;
      this.topics.delete(name);
      clearTimeout(current.retryTimer);
      this.broadcast.unfollow(name);
      this.sendRaw({ action: 'unsubscribe', topic: name });
    };
  }

  private sendSubscribe(topic: TopicState) {
    this.sendRaw({ action: 'subscribe', topic: topic.name });
  }

  private deliver(topic: TopicState, update: AuctionUpdate | ProductUpdate) {
    if (update.seq <= topic.seq) return;
    topic.seq = update.seq;
    topic.latest = update;
    for (const listener of [...topic.listeners]) call(listener, update);
  }

  private isClosed() {
    return this.status === 'closed';
  }

  // --- connection ----------------------------------------------------------------------------

  private async open() {
    if (this.status === 'closed') return;
    let token: string | undefined;
    try {
      token = await resolveToken(this.token);
    } catch (error) {
      this.report({ code: 'connect_failed', message: `token: ${String(error)}` });
      this.scheduleReconnect();
      return;
    }
    if (this.isClosed()) return;
    const url = token
      ? `${this.dependencies.wsUrl}${this.dependencies.wsUrl.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`
      : this.dependencies.wsUrl;
    let socket: WebSocketLike;
    try {
      socket = new this.dependencies.WebSocket(url);
    } catch (error) {
      this.report({ code: 'connect_failed', message: String(error) });
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.failures = 0;
      this.setStatus('open');
      this.startPinging();
      for (const topic of this.topics.values()) this.sendSubscribe(topic);
      this.me.onOpen();
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.onMessage(typeof event.data === 'string' ? event.data : String(event.data));
    };
    socket.onerror = () => undefined; // a close follows; it decides
    socket.onclose = () => {
      if (this.socket !== socket) return;
      if (!opened)
        this.report({ code: 'connect_failed', message: `could not connect to ${this.dependencies.wsUrl}` });
      this.drop();
      this.scheduleReconnect();
    };
  }

  /** Forgets the current socket (its late events are ignored) and closes it. */
  private drop() {
    const socket = this.socket;
    this.socket = undefined;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => undefined;
    try {
      socket.close();
    } catch {
      // already closing
    }
  }

  private scheduleReconnect() {
    if (this.status === 'closed') return;
    this.setStatus('reconnecting');
    clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.failures, this.reconnectBaseMs, this.reconnectMaxMs);
    this.failures += 1;
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  private startPinging() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (!this.sendRaw({ action: 'ping' })) return;
      if (this.pongTimer === undefined) {
        this.pongTimer = setTimeout(() => {
          // No pong: the connection is dead even if no close came (a half-open TCP connection).
          this.drop();
          this.scheduleReconnect();
        }, this.pongTimeoutMs);
      }
    }, this.pingIntervalMs);
  }

  private sendRaw(message: ClientMessage): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  private setStatus(status: LiveStatus) {
    if (this.status === status) return;
    this.status = status;
    for (const listener of [...this.statusListeners]) call(listener, status);
  }

  private report(error: LiveError) {
    for (const listener of [...this.errorListeners]) call(listener, error);
  }

  // --- messages ------------------------------------------------------------------------------

  private onMessage(text: string) {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === 'pong') {
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      return;
    }
    if (message.type === 'error') return this.onServerError(message);
    if (message.type === 'unsubscribed') return;
    if (message.type === 'notification') return this.me.onNotification(message.notification);
    if (message.topic === 'me') {
      if (message.type === 'subscribed') this.me.onSubscribed(message.seq);
      return;
    }
    const topic = this.topics.get(message.topic);
    if (!topic) return; // unsubscribed meanwhile
    if (message.type === 'delivery.changed') {
      // No push of the topic follows on the WebSocket API: read its channel from now on.
      if (message.broadcast) this.broadcast.follow(topic.name, message.broadcast);
      return;
    }
    if (message.type === 'subscribed' && 'snapshot' in message) {
      if (message.delivery === 'broadcast' && message.broadcast)
        this.broadcast.follow(topic.name, message.broadcast);
      else if (message.delivery === 'direct') this.broadcast.unfollow(topic.name);
      if (topic.kind === 'product') {
        return this.deliver(topic, {
          topic: topic.name as ProductUpdate['topic'],
          seq: message.seq,
          product: message.snapshot as Product,
          source: 'snapshot',
        });
      }
      const update: AuctionUpdate = {
        topic: topic.name as AuctionUpdate['topic'],
        seq: message.seq,
        auction: message.snapshot as Auction,
        lastBid: null,
        type: 'subscribed',
        source: 'snapshot',
      };
      // The first snapshot is the start, then what arrived before it and is newer; after a
      // reconnect, what happened while away is fetched.
      if (!topic.started) {
        topic.started = true;
        const early = topic.held.sort((a, b) => a.seq - b.seq);
        topic.held = [];
        this.deliver(topic, update);
        for (const held of early) this.onAuctionState(topic, held);
        return;
      }
      return this.onAuctionState(topic, update);
    }
    if (message.type === 'product.updated') {
      return this.deliver(topic, {
        topic: topic.name as ProductUpdate['topic'],
        seq: message.seq,
        product: message.product,
        source: 'live',
      });
    }
    const push = message as AuctionPush;
    this.onAuctionState(topic, {
      topic: topic.name as AuctionUpdate['topic'],
      seq: push.seq,
      auction: push.auction,
      lastBid: push.type === 'auction.updated' ? (push.lastBid ?? null) : null,
      type: push.type,
      source: 'live',
    });
  }

  private onAuctionState(topic: TopicState, update: AuctionUpdate) {
    if (topic.catchingUp || !topic.started) {
      topic.held.push(update);
      return;
    }
    if (update.seq <= topic.seq) return;
    if (update.seq === topic.seq + 1) return this.deliver(topic, update);
    topic.held.push(update);
    void this.catchUp(topic);
  }

  /**
   * The topic's channel subscription is up (first time or again): the channel keeps no history,
   * so what happened between the snapshot (or the last event) and now is fetched once.
   */
  private onChannelSubscribed(name: string) {
    const topic = this.topics.get(name);
    if (!topic || this.status === 'closed') return;
    if (topic.kind === 'product') {
      void this.refreshProduct(topic);
      return;
    }
    if (!topic.started) return; // the snapshot is still to come; it starts the topic
    if (topic.catchingUp) topic.catchUpAgain = true;
    else void this.catchUp(topic);
  }

  /** Products have no events route: their newest state is read (older ones are dropped anyway). */
  private async refreshProduct(topic: TopicState) {
    try {
      const product = await this.dependencies.rest.getProduct(topic.id);
      if (this.topics.get(topic.name) !== topic) return;
      this.deliver(topic, {
        topic: topic.name as ProductUpdate['topic'],
        seq: product.seq,
        product,
        source: 'catch-up',
      });
    } catch (error) {
      this.report({ code: 'catch_up_failed', message: String(error), topic: topic.name });
    }
  }

  private onServerError(message: Extract<ServerMessage, { type: 'error' }>) {
    const topic = message.topic ? this.topics.get(message.topic) : undefined;
    if (topic && message.code === 'temporarily_unavailable') {
      // The topic is being restored on the server: ask again shortly.
      clearTimeout(topic.retryTimer);
      topic.retryTimer = setTimeout(() => this.sendSubscribe(topic), 500 + Math.random() * 1_000);
    }
    this.report({
      code: message.code,
      message: message.message,
      ...(message.topic !== undefined ? { topic: message.topic } : {}),
    });
  }

  /**
   * Fetches the states after `topic.seq` from `/events` and delivers them in order, then what
   * was held meanwhile. Runs once per topic at a time; a failed fetch is retried with backoff
   * while pushes keep being held (none is delivered before the states it follows).
   */
  private async catchUp(topic: TopicState) {
    if (topic.catchingUp) return;
    topic.catchingUp = true;
    let failures = 0;
    try {
      for (;;) {
        if (this.topics.get(topic.name) !== topic || this.status === 'closed') return;
        let progressed = false;
        try {
          let since = topic.seq;
          for (let page = 0; page < EVENTS_PAGES_PER_CATCH_UP; page++) {
            const { events, next } = await this.dependencies.rest.auctionEvents(topic.id, since);
            for (const event of events) {
              if (event.seq > topic.seq) progressed = true;
              this.deliver(topic, fromEvent(topic, event));
            }
            if (next === null || events.length === 0) break;
            since = next;
          }
        } catch (error) {
          this.report({ code: 'catch_up_failed', message: String(error), topic: topic.name });
          await new Promise((resolve) => setTimeout(resolve, backoffDelay(failures++, 250, 10_000)));
          continue;
        }
        topic.held.sort((a, b) => a.seq - b.seq);
        const held = topic.held.filter((update) => update.seq > topic.seq);
        topic.held = [];
        // A held state still beyond the next seq after a fetch that moved on: fetch again. After
        // one that found nothing new (events aged out), the held states are the best there is.
        const first = held[0];
        if (first && first.seq > topic.seq + 1 && progressed) {
          topic.held = held;
          continue;
        }
        if (topic.catchUpAgain) {
          // The channel subscription restarted during this fetch: one more, from where it ended.
          topic.catchUpAgain = false;
          topic.held = held;
          continue;
        }
        for (const update of held) this.deliver(topic, update);
        return;
      }
    } finally {
      topic.catchingUp = false;
    }
  }
}

function fromEvent(topic: TopicState, event: AuctionEvent): AuctionUpdate {
  return {
    topic: topic.name as AuctionUpdate['topic'],
    seq: event.seq,
    auction: event.auction,
    lastBid: event.bid ?? null,
    type: event.type,
    source: 'catch-up',
  };
}

/** A listener that throws must not break the others, nor the client: its error surfaces on its own. */
function call<T>(listener: (value: T) => void, value: T) {
  try {
    listener(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
