/**
 * What one HTTP function instance remembers about products Redis just answered `sold_out` for
 * (issue 17): the stampede after the last unit is thousands of requests a second that all get the
 * same answer, and each one would otherwise run the product's deciding script on the one shard that
 * holds it. For `ttlMs` after a `sold_out` from Redis, a reservation of more units than were then
 * left is answered from here; the product's shard only counts the request toward the user's rate
 * limit (a plain counter, as the script would) and, with an Idempotency-Key, the decision is bound
 * to the key's user-wide claim (see reserve-order.ts).
 *
 * How it stays correct: the memo only ever answers "sold out", which Redis said at most `ttlMs`
 * ago; it takes and gives no stock, so a unit that comes back (a reservation expired or cancelled,
 * a payment failed) is never lost, only seen by this instance up to `ttlMs` late (another instance,
 * or this one once the entry is gone, reserves it). A cancel through this instance forgets the
 * product at once. What the memo does not know, it does not answer: a product it has not seen sold
 * out, a request for fewer units than were left, a sale that ended (the rules' order puts
 * `sale_not_active` first: an entry ends at the sale's end). It cannot know the user's own holding,
 * so a user already at the per-user limit hears `sold_out` here where the script would say
 * `limit_exceeded` (both refuse; docs/decisions/flash-sales.md "Sold out, remembered").
 */
export interface RememberedSoldOut {
  /** Units left when Redis answered (a request for more than these is sold out). */
  available: number;
}

interface Entry extends RememberedSoldOut {
  until: number;
}

/** Entries kept at most; the oldest is dropped first (a flash sale has a handful of hot products). */
const MAX_ENTRIES = 1_000;

export class SoldOutMemo {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** How long a `sold_out` from Redis is remembered; 0 turns the memo off. */
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers Redis' `sold_out` (with the units then left), until `ttlMs` from now or the sale's end. */
  remember(productId: string, available: number, saleEndsAt: number | null = null): void {
    if (this.ttlMs <= 0) return;
    const now = this.now();
    const until = Math.min(now + this.ttlMs, saleEndsAt ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    this.entries.delete(productId);
    this.entries.set(productId, { available, until });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** The remembered answer for a reservation of `qty`, or undefined: ask Redis. */
  answerFor(productId: string, qty: number): RememberedSoldOut | undefined {
    const entry = this.entries.get(productId);
    if (!entry) return undefined;
    if (this.now() >= entry.until) {
      this.entries.delete(productId);
      return undefined;
    }
    return qty > entry.available ? { available: entry.available } : undefined;
  }

  /** Stock came back through this instance (a cancel): ask Redis again. */
  forget(productId: string): void {
    this.entries.delete(productId);
  }
}
