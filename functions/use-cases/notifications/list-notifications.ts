import type { NotificationPage, NotificationReader } from '../../ports/notifications.js';

/** GET /me/notifications (API.md v1.2): the user's notifications after `since`, oldest first. */
export function listNotifications(
  deps: { notifications: NotificationReader },
  query: { userId: string; since: number; limit: number },
): Promise<NotificationPage> {
  return deps.notifications.list(query.userId, query.since, query.limit);
}
