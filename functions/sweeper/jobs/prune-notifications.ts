import { pruneNotifications } from '../../use-cases/notifications/prune-notifications.js';
import type { SweeperJob } from '../job.js';

/** API.md: notifications are kept 30 days. Without a database the job has nothing to do. */
export const pruneNotificationsJob: SweeperJob = {
  name: 'prune-notifications',
  run: async (deps) => {
    if (!deps.notifications) return { pruned: 0 };
    return { pruned: await pruneNotifications({ notifications: deps.notifications }, Date.now()) };
  },
};
