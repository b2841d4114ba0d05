/**
 * Personal notifications (API.md v1.2, "Personal notifications"), derived from the events the system
 * already records. Pure: the writer feeds it each entity's newly stored events in seq order, with
 * the event before them, and stores what it returns in the same transaction (docs/notifications.md).
 */

export type NotificationKind =
  | 'outbid'
  | 'auction.won'
  | 'auction.lost'
  | 'auction.sold'
  | 'auction.unsold'
  | 'auction.cancelled'
  | 'order.paid'
  | 'order.expired'
  | 'order.cancelled'
  | 'order.refund_required';

export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'outbid',
  'auction.won',
  'auction.lost',
  'auction.sold',
  'auction.unsold',
  'auction.cancelled',
  'order.paid',
  'order.expired',
  'order.cancelled',
  'order.refund_required',
];

/** API.md: a notification is kept 30 days. */
export const NOTIFICATION_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** A notification before the store numbered it (the per-user seq comes from PostgreSQL). */
export interface NotificationDraft {
  userId: string;
  kind: NotificationKind;
  /** Epoch ms of the event that caused it (Redis server clock). */
  at: number;
  auctionId?: string;
  productId?: string;
  orderId?: string;
  amount?: number;
  title?: string;
  /** With `kind` and `userId`, the dedupe key: one event never makes a second notification. */
  sourceEventId: string;
}

/** The public shape (API.md `Notification`). */
export interface Notification {
  seq: number;
  kind: NotificationKind;
  at: string;
  auctionId?: string;
  productId?: string;
  orderId?: string;
  amount?: number;
  title?: string;
}

/** What the derivation reads of a recorded event (the envelope as stored in PostgreSQL). */
export interface RecordedEvent {
  eventId: string;
  type: string;
  entityType: 'auction' | 'product';
  entityId: string;
  seq: number;
  occurredAt: number;
  payload: Record<string, unknown>;
}

export interface DerivationInput {
  /** The event at the entity's cursor (already derived), or null when nothing was derived yet. */
  previous: RecordedEvent | null;
  /** The cursor: every event with seq <= throughSeq was derived before. */
  throughSeq: number;
  /** Events of this entity with seq > throughSeq, in any order; a gap stops the derivation there. */
  events: readonly RecordedEvent[];
  /** Every distinct bidder of the auction (needed only when `events` holds its close). */
  bidders?: readonly string[];
  /**
   * The derivation stops before an event this answers true for, leaving it (and what follows) to a
   * later call: the fan-out derives bids from the Redis log before PostgreSQL has them, but not a
   * close, whose bidders it reads from PostgreSQL.
   */
  stopBefore?: (event: RecordedEvent) => boolean;
}

export interface DerivationResult {
  drafts: NotificationDraft[];
  /** The new cursor: the last event of the contiguous run that was derived. */
  throughSeq: number;
}

type Raw = Record<string, unknown>;

const text = (record: Raw | undefined, field: string): string => {
  const value = record?.[field];
  return value === undefined || value === null ? '' : String(value);
};

const integer = (record: Raw | undefined, field: string): number | null => {
  const value = text(record, field);
  if (value === '') return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
};

const stateOf = (event: RecordedEvent | null | undefined): Raw | undefined =>
  (event?.payload as { state?: Raw } | undefined)?.state;

const bidOf = (event: RecordedEvent | undefined): Raw | undefined =>
  (event?.payload as { bid?: Raw } | undefined)?.bid;

const isClosed = (state: Raw | undefined) => text(state, 'closedAt') !== '';

/** An event that closes its auction: its notifications need every bidder. */
export const isClosing = (event: RecordedEvent): boolean =>
  event.entityType === 'auction' && isClosed(stateOf(event));

/** Issue 29 records these in the state as strings ('true' / '1'), or as JSON booleans. */
const flag = (state: Raw | undefined, field: string) => {
  const value = state?.[field];
  return value === true || value === 'true' || value === '1';
};

/**
 * Derives the notifications of the contiguous run of events after the cursor. Events past a gap
 * (one not stored yet: SQS delivers out of order) wait for a later call: an outbid needs the leader
 * before the bid, and a close needs every bid, so both are decided only in seq order.
 */
export function deriveNotifications(input: DerivationInput): DerivationResult {
  const bySeq = new Map<number, RecordedEvent>();
  for (const event of input.events) if (event.seq > input.throughSeq) bySeq.set(event.seq, event);
  const drafts: NotificationDraft[] = [];
  let previous = input.previous;
  let seq = input.throughSeq;
  for (let next = bySeq.get(seq + 1); next !== undefined; next = bySeq.get(seq + 1)) {
    if (input.stopBefore?.(next)) break;
    if (next.entityType === 'auction') {
      drafts.push(...auctionNotifications(previous, next, bySeq.get(next.seq + 1), input.bidders ?? []));
    } else {
      drafts.push(...orderNotifications(next));
    }
    previous = next;
    seq = next.seq;
  }
  return { drafts, throughSeq: seq };
}

function auctionNotifications(
  previous: RecordedEvent | null,
  event: RecordedEvent,
  following: RecordedEvent | undefined,
  bidders: readonly string[],
): NotificationDraft[] {
  const before = stateOf(previous);
  const after = stateOf(event);
  if (after === undefined) return [];
  if (!isClosed(before) && isClosed(after) && previous !== null)
    return closeNotifications(event, after, bidders);
  if (event.type === 'bid.accepted') {
    const outbid = outbidNotification(before, event, following);
    return outbid ? [outbid] : [];
  }
  return [];
}

/**
 * One bid request makes one or two events: its own bid (the bidder leads at the amount), then, with
 * proxy bidding, the raise the proxy made (`<own id>-p`, `proxy: true`) for whoever leads by the rule.
 * The leader before the request is notified once, on its own bid's event, if the request ends with
 * someone else leading. A raise (continuation or a leader's reserve lift) never notifies by itself.
 */
function outbidNotification(
  before: Raw | undefined,
  event: RecordedEvent,
  following: RecordedEvent | undefined,
): NotificationDraft | null {
  const bid = bidOf(event);
  if (bid === undefined || bid.proxy === true) return null;
  const previousLeader = text(before, 'leaderId');
  const bidder = text(bid, 'bidderId');
  if (previousLeader === '' || previousLeader === bidder) return null;
  const raise = following?.type === 'bid.accepted' && text(bidOf(following), 'id') === `${text(bid, 'id')}-p`;
  const end = raise ? following : event;
  const endState = stateOf(end);
  let newLeader = text(endState, 'leaderId');
  if (!raise) {
    // The raise may not be stored yet (SQS delivers out of order): API.md's rule says who leads
    // after the request. The newcomer leads only with a higher maximum than the leader's (their
    // amount when they gave none); equal maxima go to the earlier bidder.
    const challenge = integer(bid, 'maxAmount') ?? integer(bid, 'amount') ?? 0;
    const defended = integer(before, 'leaderMax') ?? integer(before, 'currentPrice') ?? 0;
    newLeader = challenge > defended ? bidder : previousLeader;
  }
  if (newLeader === previousLeader) return null;
  const draft: NotificationDraft = {
    userId: previousLeader,
    kind: 'outbid',
    at: event.occurredAt,
    auctionId: event.entityId,
    sourceEventId: event.eventId,
  };
  const amount = integer(endState, 'currentPrice');
  if (amount !== null) draft.amount = amount;
  const title = text(endState, 'title');
  if (title !== '') draft.title = title;
  return draft;
}

/**
 * The close: a winner (the leader with the reserve met, or whoever the auction house named:
 * `winnerId`, e.g. a buy-now), `auction.won` to them, `auction.lost` to every other bidder,
 * `auction.sold` to the seller; no winner: `auction.lost` to the bidders, `auction.unsold` to the
 * seller. A cancelled auction (`cancelled`) tells its bidders `auction.cancelled`, nothing else.
 */
function closeNotifications(
  event: RecordedEvent,
  state: Raw,
  bidders: readonly string[],
): NotificationDraft[] {
  const base = { at: event.occurredAt, auctionId: event.entityId, sourceEventId: event.eventId };
  const title = text(state, 'title');
  const withTitle = title === '' ? base : { ...base, title };
  const seller = text(state, 'sellerId');
  const others = (winner: string) =>
    [...new Set(bidders)].filter((id) => id !== winner && id !== seller).sort();
  if (flag(state, 'cancelled')) {
    return others('').map((userId) => ({ ...withTitle, userId, kind: 'auction.cancelled' as const }));
  }
  const winner = winnerOf(state);
  const drafts: NotificationDraft[] = [];
  if (winner !== null) {
    drafts.push({ ...withTitle, userId: winner.id, kind: 'auction.won', amount: winner.price });
  }
  for (const userId of others(winner?.id ?? '')) drafts.push({ ...withTitle, userId, kind: 'auction.lost' });
  if (seller !== '') {
    drafts.push(
      winner === null
        ? { ...withTitle, userId: seller, kind: 'auction.unsold' }
        : { ...withTitle, userId: seller, kind: 'auction.sold', amount: winner.price },
    );
  }
  return drafts;
}

function winnerOf(state: Raw): { id: string; price: number } | null {
  const named = text(state, 'winnerId');
  const namedPrice = integer(state, 'finalPrice') ?? integer(state, 'currentPrice');
  if (named !== '' && namedPrice !== null) return { id: named, price: namedPrice };
  const leader = text(state, 'leaderId');
  const price = integer(state, 'currentPrice');
  if (leader === '' || price === null) return null;
  const reserve = integer(state, 'reservePrice');
  if (reserve !== null && price < reserve) return null;
  return { id: leader, price };
}

/** Orders: the buyer learns of a payment, an expiry, a failed payment and a refund owed. */
function orderNotifications(event: RecordedEvent): NotificationDraft[] {
  const payload = event.payload as { order?: Raw; payment?: Raw; product?: Raw };
  const order = payload.order;
  if (order === undefined) return [];
  const kind = orderKind(event.type, order, payload.payment);
  if (kind === null) return [];
  const draft: NotificationDraft = {
    userId: text(order, 'userId'),
    kind,
    at: event.occurredAt,
    productId: event.entityId,
    orderId: text(order, 'id'),
    sourceEventId: event.eventId,
  };
  const amount = integer(order, 'amount');
  if (amount !== null) draft.amount = amount;
  const name = text(payload.product, 'name');
  if (name !== '') draft.title = name;
  return draft.userId === '' ? [] : [draft];
}

function orderKind(type: string, order: Raw, payment: Raw | undefined): NotificationKind | null {
  switch (type) {
    case 'order.paid':
      return 'order.paid';
    case 'order.expired':
      return 'order.expired';
    case 'order.cancelled':
      // The buyer's own cancel needs no message; a failed payment does.
      return payment !== undefined ? 'order.cancelled' : null;
    case 'payment.received':
      return order.refundRequired === true && text(payment, 'outcome') === 'refund'
        ? 'order.refund_required'
        : null;
    default:
      return null;
  }
}

/** The public view of a stored notification. */
export function toNotificationView(
  stored: Omit<NotificationDraft, 'userId' | 'sourceEventId'> & { seq: number },
): Notification {
  const view: Notification = { seq: stored.seq, kind: stored.kind, at: new Date(stored.at).toISOString() };
  if (stored.auctionId !== undefined) view.auctionId = stored.auctionId;
  if (stored.productId !== undefined) view.productId = stored.productId;
  if (stored.orderId !== undefined) view.orderId = stored.orderId;
  if (stored.amount !== undefined) view.amount = stored.amount;
  if (stored.title !== undefined) view.title = stored.title;
  return view;
}
