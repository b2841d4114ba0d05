import type { Topic } from '../model.js';
import type { ConnectionMessenger, ConnectionRegistry, Counter, PostOutcome } from '../ports.js';
import type { Limiter } from './semaphore.js';

interface DeliveryDeps {
  registry: ConnectionRegistry;
  messenger: ConnectionMessenger;
  metrics: Counter;
}

/**
 * Posts the same bytes to every connection (bounded by the shared limiter) and counts the outcomes.
 * Returns the connections that answered 410 Gone, to be forgotten once the lease is released.
 */
export async function postToAll(
  deps: DeliveryDeps,
  connectionIds: readonly string[],
  data: Uint8Array,
  limit: Limiter,
): Promise<string[]> {
  const gone: string[] = [];
  const counts: Record<PostOutcome, number> = { delivered: 0, gone: 0, failed: 0 };
  await Promise.all(
    connectionIds.map((connectionId) =>
      limit(async () => {
        const outcome = await deps.messenger.post(connectionId, data);
        counts[outcome]++;
        if (outcome === 'gone') gone.push(connectionId);
      }),
    ),
  );
  deps.metrics.count('delivered', counts.delivered);
  deps.metrics.count('gone', counts.gone);
  deps.metrics.count('failed', counts.failed);
  return gone;
}

/** The topic entry goes at once; the rest of each stale connection's registrations follow. */
export async function forgetGone(deps: DeliveryDeps, topic: Topic, gone: readonly string[]): Promise<void> {
  if (gone.length === 0) return;
  await deps.registry.leave(topic, gone);
  await Promise.all(gone.map((connectionId) => deps.registry.forget(connectionId)));
}
