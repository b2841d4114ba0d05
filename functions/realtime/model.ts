/**
 * The real-time model (API.md, "Real-time WebSocket"): topics, limits, and how an event envelope
 * becomes the message watchers get (the message types themselves are in protocol.ts). Pure: no
 * AWS or Redis code, shared by the ws function (snapshots, catch-up) and the fan-out function
 * (pushes).
 */

import type { Notification } from '../api/schemas.js';
import { type BidView, toAuctionView, toBidView } from '../domain/auction.js';
import { parseAuctionRecord, parseEventBid } from '../domain/auction-record.js';
import type { AuctionEventPayload, EventEnvelope, ProductEventPayload } from '../domain/events.js';
import { toProductView } from '../domain/product.js';
import { parseProductRecord } from '../domain/product-record.js';
import type { ServerMessage } from './protocol.js';

/** `me`: a user's own topic (their notifications), registered as `me:<user id in base64url>`. */
export type TopicKind = 'auction' | 'product' | 'me';

export interface Topic {
  kind: TopicKind;
  id: string;
  /** `auction:ID` / `product:ID`, as clients write it. */
  name: string;
}

const TOPIC_PATTERN = /^(auction|product):([A-Za-z0-9_-]{1,64})$/;

export function parseTopic(value: unknown): Topic | null {
  if (typeof value !== 'string') return null;
  const match = TOPIC_PATTERN.exec(value);
  if (!match) return null;
  return { kind: match[1] as TopicKind, id: match[2] as string, name: value };
}

export function topicOfEvent(event: Pick<EventEnvelope, 'entityType' | 'entityId'>): Topic {
  return { kind: event.entityType, id: event.entityId, name: `${event.entityType}:${event.entityId}` };
}

/** What clients write for their own notifications (API.md v1.2). */
export const ME_TOPIC = 'me';

/**
 * The registry topic of a user's connections subscribed to `me`: one slot per user, and any `sub`
 * a token may carry becomes a safe key part.
 */
export function meTopic(userId: string): Topic {
  const id = Buffer.from(userId, 'utf8').toString('base64url');
  return { kind: 'me', id, name: `me:${id}` };
}

export function notificationMessage(
  notification: Notification,
): Extract<ServerMessage, { type: 'notification' }> {
  return { type: 'notification', topic: ME_TOPIC, seq: notification.seq, notification };
}

/** API.md limits. */
export const MAX_TOPICS_PER_CONNECTION = 50;
export const MAX_INBOUND_MESSAGE_BYTES = 4 * 1024;

/**
 * The message for the newest event of a topic. Every message carries the full state, rendered as
 * it was when the event happened (`occurredAt`), exactly as `/auctions/{id}/events` renders it.
 */
export function messageForEvent(event: EventEnvelope): ServerMessage {
  const topic = topicOfEvent(event).name;
  if (event.entityType === 'product') return productMessage(event as EventEnvelope<ProductEventPayload>);
  const payload = event.payload as AuctionEventPayload;
  const auction = toAuctionView(parseAuctionRecord(payload.state), event.occurredAt);
  if (event.type === 'auction.closed') return { type: 'auction.closed', topic, seq: event.seq, auction };
  return { type: 'auction.updated', topic, seq: event.seq, auction, lastBid: bidView(payload.bid) };
}

/**
 * Products: every product event (product.created, order.*, payment.received) carries the product
 * record after the change, so each one is a `product.updated` with the full product.
 */
export function productMessage(event: EventEnvelope<ProductEventPayload>): ServerMessage {
  return {
    type: 'product.updated',
    topic: topicOfEvent(event).name,
    seq: event.seq,
    product: toProductView(parseProductRecord(event.payload.product)),
  };
}

function bidView(bid: AuctionEventPayload['bid']): BidView | null {
  if (!bid) return null;
  return toBidView(parseEventBid(bid));
}

/** Serialised once per wave and shared by every receiver. */
export function encodeMessage(message: ServerMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message));
}

/**
 * How long the registry keeps a connection: API Gateway closes a connection after 10 minutes
 * without a client message and after 2 hours in any case. Every inbound message refreshes the
 * expiry; a margin covers clock skew between the gateway, the functions and Redis.
 */
export const CONNECTION_LIMITS = {
  idleMs: 10 * 60 * 1000,
  maxDurationMs: 2 * 60 * 60 * 1000,
  marginMs: 60 * 1000,
};

export function connectionExpiry(connectedAt: number, nowMs: number, limits = CONNECTION_LIMITS): number {
  return Math.min(nowMs + limits.idleMs, connectedAt + limits.maxDurationMs) + limits.marginMs;
}
