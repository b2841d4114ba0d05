/**
 * The `me` topic (API.md v1.2, "Personal notifications"): clients subscribe to `me`; the registry
 * holds each user's connections under a topic of their own, `me:<user id in base64url>` (one slot
 * per user: any `sub` a token may carry becomes a safe key part).
 */
import type { Notification } from './notifications.js';
import type { Topic } from './realtime.js';

export const ME_TOPIC = 'me';

export function meTopic(userId: string): Topic {
  const id = Buffer.from(userId, 'utf8').toString('base64url');
  // The registry keys a topic by its name only; the kind is for the protocol's own topics.
  return { kind: 'me' as Topic['kind'], id, name: `me:${id}` };
}

export type NotificationMessage = {
  type: 'notification';
  topic: 'me';
  seq: number;
  notification: Notification;
};

export function notificationMessage(notification: Notification): NotificationMessage {
  return { type: 'notification', topic: ME_TOPIC, seq: notification.seq, notification };
}

/** Serialised once per notification and shared by the user's connections. */
export function encodeNotificationMessage(notification: Notification): Uint8Array {
  return Buffer.from(JSON.stringify(notificationMessage(notification)));
}
