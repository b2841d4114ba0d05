/**
 * What the writer puts on the fanout queue after its commit (docs/notifications.md): the personal
 * notifications it derived, for the fan-out to push to each user's `me` connections. Beside event
 * envelopes and wave-part pointers on the same queue.
 */
import { z } from 'zod';
import { NOTIFICATION_KIND_VALUES } from '../api/schemas.js';
import type { StoredNotification } from '../ports/notifications.js';

const notificationsMessageSchema = z.object({
  notifications: z
    .array(
      z.object({
        userId: z.string().min(1),
        notification: z.object({
          seq: z.number().int().positive(),
          kind: z.enum(NOTIFICATION_KIND_VALUES),
          at: z.string(),
          auctionId: z.string().optional(),
          productId: z.string().optional(),
          orderId: z.string().optional(),
          amount: z.number().int().optional(),
          title: z.string().optional(),
        }),
      }),
    )
    .min(1),
});

/** At most this many per queue message (a close may notify thousands of bidders; SQS takes 256 KiB). */
export const NOTIFICATIONS_PER_MESSAGE = 100;

export function encodeNotificationsMessage(notifications: readonly StoredNotification[]): string {
  return JSON.stringify({ notifications });
}

export function isNotificationsMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && 'notifications' in message;
}

/** null when it is not a readable message of notifications. */
export function parseNotificationsMessage(message: unknown): StoredNotification[] | null {
  const parsed = notificationsMessageSchema.safeParse(message);
  return parsed.success ? (parsed.data.notifications as StoredNotification[]) : null;
}
