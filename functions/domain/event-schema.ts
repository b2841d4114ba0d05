import { z } from 'zod';
import type { EventEnvelope, EventType } from './events.js';

const EVENT_TYPES = [
  'auction.created',
  'bid.accepted',
  'bid.max_raised',
  'auction.closed',
  'product.created',
  'order.reserved',
  'order.paid',
  'order.cancelled',
  'order.expired',
  'payment.received',
] as const satisfies readonly EventType[];

const envelopeSchema = z.object({
  eventId: z.string().min(1).max(200),
  type: z.enum(EVENT_TYPES),
  entityType: z.enum(['auction', 'product']),
  entityId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  occurredAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  payload: z.record(z.string(), z.unknown()),
});

export const entityTag = (entityType: 'auction' | 'product') => (entityType === 'auction' ? 'a' : 'p');

/** The deterministic id of the event of `entity` at `seq` (see events.ts). */
export const eventIdOf = (entityType: 'auction' | 'product', entityId: string, seq: number) =>
  `${entityTag(entityType)}:${entityId}:${seq}`;

export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
}

/**
 * Parses a message body into an envelope, or throws MalformedEventError naming what is wrong. The id
 * must be the deterministic one, and the type must belong to the entity type: an envelope that
 * breaks either is not something our scripts produce.
 */
export function parseEventEnvelope(body: string): EventEnvelope<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedEventError('the body is not JSON');
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new MalformedEventError(`not an event envelope: ${problems.join('; ')}`);
  }
  const event = parsed.data;
  const expectedId = eventIdOf(event.entityType, event.entityId, event.seq);
  if (event.eventId !== expectedId) {
    throw new MalformedEventError(`eventId ${event.eventId} is not the deterministic id ${expectedId}`);
  }
  const auctionType =
    event.type === 'auction.created' ||
    event.type === 'bid.accepted' ||
    event.type === 'bid.max_raised' ||
    event.type === 'auction.closed';
  if (auctionType !== (event.entityType === 'auction')) {
    throw new MalformedEventError(`type ${event.type} does not belong to entity type ${event.entityType}`);
  }
  return event;
}
