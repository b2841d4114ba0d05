/**
 * At subscribe: does this subscription get pushes over the WebSocket API, or read the topic's
 * channel (API.md v1.2)? A topic is served direct while its direct audience, the newcomer
 * included, stays below BROADCAST_MIN_WATCHERS; the subscribe that reaches it turns the topic
 * broadcast for good (while its keys live), and the next wave moves the direct watchers still
 * there (move-to-broadcast.ts). Broadcast subscribers are not registered: the channel's
 * audience is the Events API's, the backend neither counts nor pays per watcher.
 */
import { type BroadcastInfo, channelOf, servedDirect } from '../broadcast.js';
import type { Topic } from '../model.js';
import type { DeliveryModes } from '../ports.js';

export interface BroadcastChoice {
  modes: DeliveryModes;
  info: BroadcastInfo;
  /** BROADCAST_MIN_WATCHERS; 0: never direct. */
  minWatchers: number;
}

/** The broadcast object when this subscription reads the channel; null when it is served direct. */
export async function chooseDelivery(
  choice: BroadcastChoice | undefined,
  topic: Topic,
): Promise<BroadcastInfo | null> {
  if (!choice || !channelOf(topic)) return null;
  if (choice.minWatchers <= 0) return choice.info;
  const { broadcast, audience } = await choice.modes.read(topic);
  if (broadcast) return choice.info;
  if (servedDirect(audience + 1, choice.minWatchers)) return null;
  await choice.modes.turnBroadcast(topic);
  return choice.info;
}
