/**
 * A wave of a topic that turned broadcast (choose-delivery.ts) while direct watchers were
 * registered: instead of the update, each of them gets `delivery.changed` once (API.md v1.2) and
 * leaves the topic's receivers, so no push of the topic follows on its connection. It runs under
 * the wave's lease like any wave, so no earlier wave's push can arrive after it. The update itself
 * is on the channel; the client library follows the channel and fetches what it missed since its
 * last seq through `/auctions/{id}/events` (a product: its newest state).
 */
import type { BroadcastInfo, DeliveryChangedMessage } from '../broadcast.js';
import type { Topic } from '../model.js';
import type { ConnectionMessenger, ConnectionRegistry, Counter } from '../ports.js';
import { postToAll } from './deliver.js';
import type { Limiter } from './semaphore.js';

export function deliveryChanged(topic: Topic, broadcast: BroadcastInfo): DeliveryChangedMessage {
  return { type: 'delivery.changed', topic: topic.name, delivery: 'broadcast', broadcast };
}

export async function moveToBroadcast(
  deps: { registry: ConnectionRegistry; messenger: ConnectionMessenger; metrics: Counter },
  topic: Topic,
  connectionIds: readonly string[],
  broadcast: BroadcastInfo,
  limit: Limiter,
): Promise<string[]> {
  const data = Buffer.from(JSON.stringify(deliveryChanged(topic, broadcast)));
  const gone = await postToAll(deps, connectionIds, data, limit);
  // Told or gone, none of them is a receiver of this topic any more.
  await deps.registry.leave(topic, connectionIds);
  return gone;
}
