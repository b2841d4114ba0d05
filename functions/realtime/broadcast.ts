/**
 * Broadcast channels for crowds (API.md v1.2, "Broadcast channels for crowds"): which channel a
 * topic is published to, what a subscriber needs to read it, and the messages that tell a direct
 * watcher to move there. Pure: shared by the ws function (subscribe, `GET /realtime`), the fan-out
 * (publishes, moves) and the client library's types.
 *
 * Why a channel: on API Gateway every push to a watcher is one request of the account's shared
 * budget (10,000 requests/s per Region, bids included), so an update to 10,000 direct watchers is a
 * whole second of it. A channel of an AppSync Events API costs one publish per update whatever the
 * audience; the service delivers it.
 */
import type { Topic, TopicKind } from './model.js';
import type { BroadcastInfo, ServerMessage } from './protocol.js';

export type { BroadcastInfo, Delivery } from './protocol.js';
export type DeliveryChangedMessage = Extract<ServerMessage, { type: 'delivery.changed' }>;

/** Channel namespace of the Events API (the CDK `EventApi`'s and the local stand-in's). */
export const CHANNEL_NAMESPACE = 'live';

/** Entity topics only: a user's `me` topic is never broadcast (one user, their own connections). */
export const CHANNEL_TEMPLATES: Record<Exclude<TopicKind, 'me'>, string> = {
  auction: `/${CHANNEL_NAMESPACE}/auction/{id}`,
  product: `/${CHANNEL_NAMESPACE}/product/{id}`,
};

/**
 * A channel segment as AppSync Events accepts it: letters, digits and dashes (not at either
 * end), at most 50 characters. API ids may also hold `_`, start or end with `-` and run to 64
 * characters: such a topic has no channel and stays on the direct path whatever its audience
 * (docs/realtime.md, "Broadcast tier").
 */
const CHANNEL_SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$/;

/** The topic's channel path, or null when its id cannot be a channel segment. */
export function channelOf(topic: Pick<Topic, 'kind' | 'id'>): string | null {
  if (topic.kind === 'me' || !CHANNEL_SEGMENT.test(topic.id)) return null;
  return CHANNEL_TEMPLATES[topic.kind].replace('{id}', topic.id);
}

/**
 * AppSync Events takes at most 5 events per publish request (its documented limit, also the
 * local stand-in's): a publish carries the states since the previous one, up to this many.
 */
export const MAX_EVENTS_PER_PUBLISH = 5;

/**
 * BROADCAST_MIN_WATCHERS' default: a topic turns broadcast when a subscribe would bring its direct
 * audience to 100. Below it a push costs at most 99 requests of the account's budget per update
 * (1% of it at one update per second), and direct delivery is the fastest path (one hop, no second
 * socket for the client). docs/realtime.md has the reasoning and the figures.
 */
export const DEFAULT_BROADCAST_MIN_WATCHERS = 100;

/** Whether a topic with `audience` direct watchers (the newcomer included) is served direct. */
export function servedDirect(audience: number, minWatchers: number): boolean {
  return audience < minWatchers;
}

/**
 * The `broadcast` object for an Events API: subscribers authorise with the API key (public state,
 * anonymous watchers welcome) and name the API's HTTP domain as `host`, as AppSync Events wants in
 * the `header-` subprotocol and in each `subscribe`.
 */
export function broadcastInfo(api: { realtimeUrl: string; host: string; apiKey: string }): BroadcastInfo {
  return {
    realtimeUrl: api.realtimeUrl,
    authorization: { host: api.host, 'x-api-key': api.apiKey },
    channels: { ...CHANNEL_TEMPLATES },
  };
}
