/**
 * Every Redis key name, built in this one module (docs/CONVENTIONS.md has the table).
 *
 * A composite key is segments joined by `:`; every variable segment (an id, a user, an
 * Idempotency-Key, a connection id, an address) goes through `keyPart`, which percent-encodes `%`,
 * `:`, `{`, `}` and everything outside printable ASCII. So a segment never contains a separator or a
 * brace: two different tuples of parts never give the same key (user `alice:k1` with key `x` and
 * user `alice` with key `k1:x` are `...:idem:alice%3Ak1:x` and `...:idem:alice:k1%3Ax`), and a part
 * can never open or close a hash tag, so every key of an entity keeps its entity's slot.
 * Ids of the API (`^[A-Za-z0-9_-]{1,64}$`) and ordinary user ids encode to themselves: keys written
 * before this encoding keep their names.
 *
 * Pure (no client, no Lua), so tools run with tsx can import it too (scripts/audit.ts).
 */

const RESERVED = /[%:{}]|[^\x21-\x7e]/gu;

/**
 * One variable segment of a key name, encoded injectively. A string that is not well-formed UTF-16
 * (a lone surrogate) throws: it has no byte form and is refused at the edge before it gets here.
 */
export function keyPart(value: string): string {
  return value.replace(RESERVED, (char) => encodeURIComponent(char));
}

/** The hash tag of an entity: all its keys carry it, so its scripts touch one slot. */
const tag = (kind: string, id: string) => `{${kind}:${keyPart(id)}}`;

/** Every key of one auction carries the hash tag `{a:ID}`, so its scripts touch a single slot. */
export const auctionKeys = (auctionId: string) => {
  const t = tag('a', auctionId);
  return {
    state: t,
    bids: `${t}:bids`,
    events: `${t}:events`,
    outbox: `${t}:outbox`,
    fence: `${t}:fence`,
    rateLimit: (userId: string) => `${t}:rl:${keyPart(userId)}`,
    idempotency: (userId: string, key: string) => `${t}:idem:${keyPart(userId)}:${keyPart(key)}`,
    /** The first run of a deciding request (bid id), so that a resent command repeats it (lua-script.ts). */
    run: (requestId: string) => `${t}:run:${keyPart(requestId)}`,
  };
};

/**
 * Every key of one product carries the hash tag `{p:ID}`; an order's own keys carry `{o:ORDERID}`,
 * whose slot is the product's by construction of the order id (see order-ids.ts). So every product
 * script touches a single slot.
 */
export const productKeys = (productId: string) => {
  const t = tag('p', productId);
  return {
    state: t,
    orders: `${t}:orders`,
    held: `${t}:held`,
    deadlines: `${t}:deadlines`,
    events: `${t}:events`,
    outbox: `${t}:outbox`,
    payments: `${t}:payments`,
    fence: `${t}:fence`,
    recovering: `${t}:recovering`,
    rateLimit: (userId: string) => `${t}:rl:${keyPart(userId)}`,
    idempotency: (userId: string, key: string) => `${t}:idem:${keyPart(userId)}:${keyPart(key)}`,
    /** The first run of a deciding request (order id, or a cancel's or payment's request id). */
    run: (requestId: string) => `${t}:run:${keyPart(requestId)}`,
  };
};

/** The six keys every product script declares first, in this order (see lua/includes/product.lua). */
export const productCoreKeys = (productId: string): string[] => {
  const keys = productKeys(productId);
  return [keys.state, keys.orders, keys.held, keys.deadlines, keys.events, keys.outbox];
};

export const orderKeys = (orderId: string) => {
  const t = tag('o', orderId);
  return {
    /** orderId -> productId, written by the reservation script. */
    pointer: t,
    /** Webhook events that arrived before the order was visible (hash eventId -> event JSON). */
    pending: `${t}:pending`,
  };
};

/**
 * The user-wide claim of an Idempotency-Key, with the request fingerprint (the entity's script
 * stores the decision itself under `auctionKeys(..).idempotency` / `productKeys(..).idempotency`).
 */
export const idempotencyClaimKey = (userId: string, key: string) =>
  `idem:${tag('u', userId)}:${keyPart(key)}`;

/** The user's request counter for the user-wide rate limit (same slot as the user's claims). */
export const userRateLimitKey = (userId: string) => `rl:${tag('u', userId)}`;

/**
 * A caller's counter of event-log reads (GET /auctions/{id}/events): on the caller's own slot (the
 * source address's, or the user's beside their claims), never the auction's.
 */
export const eventReadsKey = (caller: { kind: 'ip' | 'user'; id: string }) =>
  `rl:${tag(caller.kind === 'ip' ? 'ip' : 'u', caller.id)}:reads`;

/** Auctions by end time; the sweeper closes from it. Written before the create script (intent first). */
export const AUCTIONS_BY_END_KEY = 'auctions:by-end';

/**
 * Products by the next time the sweeper should expire their reservations. Written before the create
 * script (intent first); the expiry script says when to come back, or that the sale is over.
 */
export const PRODUCTS_BY_NEXT_EXPIRY_KEY = 'products:by-next-expiry';

/**
 * Settled orders (paid, cancelled, expired) by the time of their last change: the sweeper drops them
 * from Redis once PostgreSQL has that change (members: order ids).
 */
export const SETTLED_ORDERS_KEY = 'orders:settled';

/** Orders with parked webhook events, by parking time: the sweeper retries them. Intent first too. */
export const PENDING_PAYMENTS_KEY = 'payments:pending';

/** Entities that may have outbox entries (see outbox-index.ts): zset of outbox members. */
export const OUTBOX_INDEX_KEY = 'outbox:index';

/** The outbox index member of an entity: its hash tag without the braces (`a:ID`, `p:ID`). */
export const outboxMember = (kind: 'auction' | 'product', id: string) =>
  `${kind === 'auction' ? 'a' : 'p'}:${keyPart(id)}`;

/** The outbox of an index member: `{a:ID}:outbox` / `{p:ID}:outbox`, as auctionKeys/productKeys name it. */
export const outboxKeyOf = (member: string) => `{${member}}:outbox`;

/** The state key of an index member: `{a:ID}` / `{p:ID}`, as auctionKeys/productKeys name it. */
export const stateKeyOf = (member: string) => `{${member}}`;

/**
 * A topic's keys share the tag `{t:KIND:ID}` (a topic is `auction:ID` / `product:ID`; kind and id
 * are encoded as two parts).
 */
export const topicKeys = (topicName: string) => {
  const colon = topicName.indexOf(':');
  const inner =
    colon === -1
      ? keyPart(topicName)
      : `${keyPart(topicName.slice(0, colon))}:${keyPart(topicName.slice(colon + 1))}`;
  const t = `{t:${inner}}`;
  return {
    conns: `${t}:conns`,
    floors: `${t}:floors`,
    pushed: `${t}:pushed`,
    lease: `${t}:lease`,
    parts: `${t}:parts`,
    /** Broadcast tier (redis-broadcast-ledger.ts): newest seq published and when, the publish lease, the mode. */
    broadcast: `${t}:bcast`,
    publishLease: `${t}:blease`,
    mode: `${t}:mode`,
  };
};

export type TopicKeys = ReturnType<typeof topicKeys>;

/** A WebSocket connection's keys share the tag `{c:CONNECTION_ID}`. */
export const connectionKeys = (connectionId: string) => {
  const t = tag('c', connectionId);
  return {
    topics: `${t}:topics`,
    /** Inbound message counter of the current rate window (redis-connection-limits.ts). */
    rate: `${t}:rate`,
    /** The user of a connection opened with a token (`me`, redis-connection-users.ts). */
    user: `${t}:user`,
  };
};

/** A WebSocket client address (IPv4 or IPv6): its live connections, for the per-address cap. */
export const sourceKeys = (sourceIp: string) => ({
  connections: `${tag('ip', sourceIp)}:conns`,
});
