import type { EventsApiLimits } from './index.js';

/**
 * AWS AppSync Events limits, as documented (AWS General Reference, "AWS AppSync endpoints and
 * quotas", Event API rows; AppSync Events developer guide: concepts, publish-http, channel
 * namespaces). All but the subscriptions per connection are hard limits on AWS.
 */
export const APPSYNC_EVENTS_LIMITS: EventsApiLimits = {
  // "You can publish up to 5 events in a batch" (publish-http, publish-websocket).
  maxEventsPerPublish: 5,
  // "a maximum size of 240 KB per event" (concepts).
  maxEventBytes: 240 * 1024,
  // Channel paths: at most 5 segments, namespace included, each 1-50 of [A-Za-z0-9-].
  maxChannelSegments: 5,
  maxSegmentLength: 50,
  // "Subscriptions per client connection": 200 (adjustable).
  maxSubscriptionsPerConnection: 200,
  // A subscribe or publish message carries at most one publish payload (1.2 MB per request) and
  // the 240 KB subscription payload limit: an inbound frame larger than the request limit is
  // refused (closed 1009) before it is parsed.
  maxMessageBytes: 1_200_000,
  // Not an AWS number: a socket that never sends `connection_init` is closed after this long so
  // that a half-open client cannot hold a slot forever.
  connectionInitTimeoutMs: 15_000,
};

/** The whole HTTP publish body (AWS: "Publish payload size" 1.2 MB). */
export const MAX_PUBLISH_BODY_BYTES = 1_200_000;

/** `connection_ack.connectionTimeoutMs` on AWS: a client that hears nothing for 5 minutes reconnects. */
export const CONNECTION_TIMEOUT_MS = 300_000;

/** AWS sends `ka` about once a minute. */
export const KEEP_ALIVE_MS = 60_000;

/**
 * What one connection may have buffered towards a slow client before further `data` frames to it
 * are dropped (events may be lost on a channel; the newest seq is the truth). Not an AWS number:
 * it bounds this process's memory with 100,000 watchers.
 */
export const MAX_BUFFERED_BYTES_PER_CONNECTION = 1024 * 1024;
