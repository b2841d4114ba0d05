/** What the Events API's thread (events-api-thread.ts) and its host (events-api-host.ts) exchange. */
import type { EventsApiOptions, EventsApiStats } from './index.js';

export interface EventsThreadData {
  options: EventsApiOptions;
  /** Float64 cells, one per EVENTS_STATS_FIELDS entry. */
  stats: SharedArrayBuffer;
  /** Added to the thread's niceness when it starts (Linux: per thread); 0 leaves it as the process's. */
  niceIncrement: number;
}

export type EventsHostMessage = { type: 'stop' };
export type EventsThreadMessage =
  | { type: 'ready'; port: number; threadId: number | undefined }
  | { type: 'start-error'; code?: string | undefined; message: string }
  | { type: 'stopped' };

export const EVENTS_STATS_FIELDS: readonly (keyof EventsApiStats)[] = [
  'connections',
  'subscriptions',
  'publishes',
  'events',
  'deliveries',
  'writes',
  'dropped',
  'queued',
  'unauthorized',
  'badRequests',
];
