/**
 * The `me` feed behind `Live.subscribeMe` (API.md v1.2, "Personal notifications"). What it promises
 * the app: each notification once, in seq order, none missed while the socket was away.
 *
 * - The server's `subscribed` names the user's newest seq; the first one is the start (or the
 *   `since` the app gave: what came after it is fetched first).
 * - A push whose seq is not the next one, or a `subscribed` after a reconnect that is ahead of what
 *   was delivered, starts a catch-up through `GET /me/notifications?since=`: the missed ones are
 *   delivered in order, pushes that arrive meanwhile wait and follow, those already delivered dropped.
 *   The route never loses one (PostgreSQL), pushes may be lost: the route is the truth.
 */
export interface FeedNotification {
  seq: number;
}

export interface FeedPage<N extends FeedNotification> {
  notifications: N[];
  next: number | null;
}

export interface MeFeedDependencies<N extends FeedNotification> {
  /** Sends a client message on the current socket; false when there is none open. */
  send(message: { action: 'subscribe' | 'unsubscribe'; topic: 'me' }): boolean;
  list(since: number): Promise<FeedPage<N>>;
  reportCatchUpFailure(error: unknown): void;
  /** Full-jitter backoff for a failed catch-up. */
  backoff(failures: number): number;
}

const PAGES_PER_CATCH_UP = 50;

export class MeFeed<N extends FeedNotification> {
  private readonly listeners = new Set<(notification: N) => void>();
  /** The seq of the newest notification delivered; undefined until the start is known. */
  private seq: number | undefined;
  private since: number | undefined;
  private onStarted: ((seq: number) => void) | undefined;
  private held: N[] = [];
  private catchingUp = false;
  private active = false;

  constructor(private readonly dependencies: MeFeedDependencies<N>) {}

  /**
   * `since`: deliver what came after this seq first (default: only what comes from now on).
   * `onSubscribed`: the server's newest seq at each (re)subscribe, once the feed is live.
   */
  subscribe(
    listener: (notification: N) => void,
    options: { since?: number; onSubscribed?: (seq: number) => void } = {},
  ): () => void {
    this.listeners.add(listener);
    if (!this.active) {
      this.active = true;
      this.seq = undefined;
      this.since = options.since;
      this.onStarted = options.onSubscribed;
      this.held = [];
      this.dependencies.send({ action: 'subscribe', topic: 'me' });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0 || !this.active) return;
      this.active = false;
      this.dependencies.send({ action: 'unsubscribe', topic: 'me' });
    };
  }

  /** A (re)opened socket: subscribe again; the `subscribed` that follows tells what was missed. */
  onOpen(): void {
    if (this.active) this.dependencies.send({ action: 'subscribe', topic: 'me' });
  }

  onSubscribed(serverSeq: number): void {
    if (!this.active) return;
    if (this.seq === undefined) this.seq = this.since ?? serverSeq;
    if (serverSeq > this.seq) void this.catchUp();
    else this.flushHeld();
    this.onStarted?.(serverSeq);
  }

  onNotification(notification: N): void {
    if (!this.active) return;
    if (this.seq === undefined || this.catchingUp) {
      this.held.push(notification);
      return;
    }
    if (notification.seq <= this.seq) return;
    if (notification.seq === this.seq + 1) {
      this.deliver(notification);
      return;
    }
    this.held.push(notification);
    void this.catchUp();
  }

  private deliver(notification: N) {
    if (this.seq !== undefined && notification.seq <= this.seq) return;
    this.seq = notification.seq;
    for (const listener of [...this.listeners]) {
      try {
        listener(notification);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private flushHeld() {
    const held = this.held.sort((a, b) => a.seq - b.seq);
    this.held = [];
    for (const notification of held) this.onNotification(notification);
  }

  private async catchUp() {
    if (this.catchingUp) return;
    this.catchingUp = true;
    let failures = 0;
    try {
      for (;;) {
        if (!this.active || this.seq === undefined) return;
        try {
          for (let page = 0; page < PAGES_PER_CATCH_UP; page++) {
            const { notifications, next } = await this.dependencies.list(this.seq);
            for (const notification of notifications) this.deliver(notification);
            if (next === null || notifications.length === 0) break;
          }
          break;
        } catch (error) {
          this.dependencies.reportCatchUpFailure(error);
          await new Promise((resolve) => setTimeout(resolve, this.dependencies.backoff(failures++)));
        }
      }
    } finally {
      this.catchingUp = false;
    }
    // What was pushed meanwhile, in order; the route had everything committed before its push, so
    // a gap left here is one the route does not know either (aged out): never waited for.
    const held = this.held.sort((a, b) => a.seq - b.seq);
    this.held = [];
    for (const notification of held) this.deliver(notification);
  }
}
