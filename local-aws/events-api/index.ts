/**
 * A local stand-in for an AWS AppSync Events API (https://docs.aws.amazon.com/appsync/latest/eventapi/):
 * the real-time WebSocket at `/event/realtime` and the HTTP publish endpoint `POST /event`.
 *
 * The public face other parts (the local runtime, tests, benchmarks, the fan-out's local wiring)
 * code against. Internals live beside it in this folder.
 */
import type { LocalCredentials } from '../identity/sigv4-verifier.js';

export interface EventsApiOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The API key subscribers present (`x-api-key`): connect and subscribe are authorised by it. */
  apiKey: string;
  /** The region of the SigV4 credential scope publishers sign for (service `appsync`); default us-east-1. */
  region?: string;
  /** The IAM credentials publishing is allowed to (SigV4); default the local ones (`local`/`local`). */
  credentials?: LocalCredentials;
  /** Channel namespaces that exist (first path segment); default `['live']`. */
  namespaces?: readonly string[];
  /** Keep-alive period in ms (AWS: 60 s); `connection_ack.connectionTimeoutMs` is 300,000 as on AWS. */
  keepAliveMs?: number;
  /**
   * How `data` frames are made: `shared` (default) encodes an event once per publish and writes
   * each subscriber its pre-encoded head + that tail; `per-subscriber` encodes each message whole
   * for each subscriber (JSON.stringify + ws.send), as a naive server would: the benchmark's
   * same-run reference (bench/bench-events-api.ts).
   */
  deliveryEncoding?: 'shared' | 'per-subscriber';
  /** Overrides of the documented limits, for tests. */
  limits?: Partial<EventsApiLimits>;
}

/** The AWS AppSync Events limits imitated (see limits.ts for the sources). */
export interface EventsApiLimits {
  /** Events in one publish (AWS: 5). */
  maxEventsPerPublish: number;
  /** Bytes of one event (AWS: 240 KiB). */
  maxEventBytes: number;
  /** Segments of a channel path, namespace included (AWS: 5). */
  maxChannelSegments: number;
  /** Characters of one segment (AWS: 50). */
  maxSegmentLength: number;
  /** Subscriptions on one WebSocket connection (AWS: 100 per connection). */
  maxSubscriptionsPerConnection: number;
  /** Bytes of an inbound WebSocket message (AWS: 240 KiB message payload). */
  maxMessageBytes: number;
  /** ms a connection may stay open without `connection_init` before it is closed. */
  connectionInitTimeoutMs: number;
}

export interface EventsApiStats {
  connections: number;
  subscriptions: number;
  /** Accepted HTTP publishes (requests), events accepted in them, and `data` frames written. */
  publishes: number;
  events: number;
  deliveries: number;
  /** Socket writes that carried those frames (one per subscriber per job; a job may hold several publishes). */
  writes: number;
  /** `data` frames not written because the subscriber's socket had over 1 MiB waiting (a slow reader). */
  dropped: number;
  /** Events still waiting to be delivered. */
  queued: number;
  /** Refusals by kind. */
  unauthorized: number;
  badRequests: number;
}

export interface EventsApi {
  port: number;
  /** `http://host:port/event`: the HTTP publish endpoint (what `EVENTS_HTTP_URL` is set to). */
  httpUrl: string;
  /** `ws://host:port/event/realtime`. */
  realtimeUrl: string;
  /** `host:port`: the `host` subscribers put in their authorization object. */
  host: string;
  stats(): EventsApiStats;
  /** Closes every connection and the server. */
  stop(): Promise<void>;
}

export { startEventsApi } from './server.js';
