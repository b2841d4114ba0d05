import { NOTIFICATION_RETENTION_MS } from '../../domain/notifications.js';
import type { NotificationRetention } from '../../ports/notifications.js';

/** The sweeper's job: deletes what is past the retention; the per-user counters stay (seq never restarts). */
export function pruneNotifications(
  deps: { notifications: NotificationRetention },
  nowMs: number,
): Promise<number> {
  return deps.notifications.deleteOlderThan(nowMs - NOTIFICATION_RETENTION_MS);
}
