/**
 * The real-time protocol (API.md, "Real-time WebSocket"): every message a client sends and every
 * message the server sends. Types only, on the HTTP API's entity types (api/schemas.ts), so it is
 * browser-safe: the client (client/src/types.ts) imports it with `import type`, and the server
 * builds its messages as these types (model.ts, use-cases/), so a change on one side that the other
 * does not follow fails `tsc`.
 */
import type { Auction, Bid, BroadcastInfo, Notification, Product } from '../api/schemas.js';

/**
 * What a client sends on `$default`; `topic` is `auction:ID`, `product:ID` or `me` (the caller's
 * notifications, API.md v1.2: on a connection opened with a token).
 */
export type ClientMessage =
  | { action: 'subscribe'; topic: string }
  | { action: 'unsubscribe'; topic: string }
  | { action: 'ping' };

/**
 * Where a topic's channel is read (API.md v1.2, "Broadcast channels for crowds"): the `broadcast`
 * object of `subscribed`, `delivery.changed` and `GET /realtime` (its schema: api/schemas.ts).
 */
export type { BroadcastInfo };

export type Delivery = 'direct' | 'broadcast';

/** What the server sends: replies to client messages, and the pushes of the fan-out. */
export type ServerMessage =
  | {
      type: 'subscribed';
      topic: string;
      seq: number;
      snapshot: Auction | Product;
      /** API.md v1.2: `broadcast`: no push of the topic follows on this connection, read the channel. */
      delivery?: Delivery;
      broadcast?: BroadcastInfo;
    }
  /** `me`: no snapshot; `seq` is the user's newest notification seq (0 if none). */
  | { type: 'subscribed'; topic: 'me'; seq: number }
  | { type: 'notification'; topic: 'me'; seq: number; notification: Notification }
  /** API.md v1.2: sent once to each direct watcher of a topic that turned broadcast. */
  | { type: 'delivery.changed'; topic: string; delivery: 'broadcast'; broadcast: BroadcastInfo }
  | { type: 'unsubscribed'; topic: string }
  | { type: 'auction.updated'; topic: string; seq: number; auction: Auction; lastBid: Bid | null }
  | { type: 'auction.closed'; topic: string; seq: number; auction: Auction }
  | { type: 'product.updated'; topic: string; seq: number; product: Product }
  | { type: 'pong' }
  | { type: 'error'; code: WsErrorCode; message: string; topic?: string };

export type WsErrorCode =
  | 'invalid_message'
  | 'message_too_large'
  | 'unknown_action'
  | 'invalid_topic'
  | 'too_many_topics'
  | 'not_subscribed'
  | 'auction_not_found'
  | 'product_not_found'
  | 'temporarily_unavailable'
  | 'rate_limited'
  /** `me` on a connection opened without a token. */
  | 'unauthorized';
