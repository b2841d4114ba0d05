/**
 * The fast path of personal notifications: each notification the writer committed goes to every
 * connection of its user subscribed to `me`, one PostToConnection per connection (API.md v1.2).
 *
 * Same delivery rules as the topics' waves (docs/realtime.md): per user one wave at a time and only
 * a seq newer than every wave before (the registry's lease and `pushed` on the user's own topic
 * slot), pending subscriptions skipped and floors respected, 410 Gone removes the connection,
 * throttling retried inside the messenger, nothing else retried. A notification whose wave finds a
 * newer one already sent is dropped: the client sees the gap and reads GET /me/notifications.
 */
import { randomUUID } from 'node:crypto';
import type { LogSink } from '../../ports/logger.js';
import type { StoredNotification } from '../../ports/notifications.js';
import { encodeMessage, meTopic, notificationMessage } from '../model.js';
import type { ConnectionMessenger, ConnectionRegistry, Counter } from '../ports.js';

export interface PushNotificationsDeps {
  registry: ConnectionRegistry;
  messenger: ConnectionMessenger;
  metrics: Counter;
  logger: LogSink;
  /** How long a wave waits for another wave of the same user to end. */
  leaseWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PushOutcome {
  waves: number;
  stale: number;
  /** Users whose wave could not run (the lease never freed): their pushes are lost, the list is not. */
  failedUsers: string[];
}

export async function pushNotifications(
  deps: PushNotificationsDeps,
  notifications: readonly StoredNotification[],
): Promise<PushOutcome> {
  const byUser = new Map<string, StoredNotification[]>();
  for (const stored of notifications) {
    const list = byUser.get(stored.userId) ?? [];
    list.push(stored);
    byUser.set(stored.userId, list);
  }
  const outcome: PushOutcome = { waves: 0, stale: 0, failedUsers: [] };
  await Promise.all(
    [...byUser].map(async ([userId, list]) => {
      list.sort((a, b) => a.notification.seq - b.notification.seq);
      for (const stored of list) {
        const result = await pushOne(deps, userId, stored);
        if (result === 'sent') outcome.waves++;
        else if (result === 'stale') outcome.stale++;
        else if (result === 'nobody') return;
        else {
          outcome.failedUsers.push(userId);
          return;
        }
      }
    }),
  );
  deps.metrics.count('waves', outcome.waves);
  deps.metrics.count('stale', outcome.stale);
  return outcome;
}

async function pushOne(
  deps: PushNotificationsDeps,
  userId: string,
  stored: StoredNotification,
): Promise<'sent' | 'stale' | 'busy' | 'nobody'> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const topic = meTopic(userId);
  const seq = stored.notification.seq;
  const token = randomUUID();
  // Nobody connected to `me` (most users, most of the time): nothing to claim. A connection that
  // subscribes after this read reads the user's newest seq from PostgreSQL, where this notification
  // is already committed, so it misses nothing it would have got.
  if (!(await deps.registry.hasConnections(topic))) return 'nobody';
  const deadline = now() + (deps.leaseWaitMs ?? 5_000);
  for (let poll = 0; ; poll++) {
    const claim = await deps.registry.claimWave(topic, seq, token, now());
    if (claim.status === 'stale') return 'stale';
    if (claim.status === 'claimed') {
      const gone: string[] = [];
      try {
        const data = encodeMessage(notificationMessage(stored.notification));
        const counts = { delivered: 0, gone: 0, failed: 0 };
        // A user has a handful of connections: no need for the fan-out's shared limiter.
        await Promise.all(
          claim.connectionIds.map(async (connectionId) => {
            const posted = await deps.messenger.post(connectionId, data);
            counts[posted]++;
            if (posted === 'gone') gone.push(connectionId);
          }),
        );
        deps.metrics.count('delivered', counts.delivered);
        deps.metrics.count('gone', counts.gone);
        deps.metrics.count('failed', counts.failed);
      } finally {
        await deps.registry.releaseWave(topic, token);
      }
      if (gone.length > 0) {
        await deps.registry.leave(topic, gone);
        await Promise.all(gone.map((connectionId) => deps.registry.forget(connectionId)));
      }
      return 'sent';
    }
    if (now() >= deadline) {
      deps.logger.warn('notification push gave up waiting for the user wave lease', { seq });
      return 'busy';
    }
    await sleep(Math.min(50, 5 * 2 ** poll));
  }
}
