import type { EventsApi, EventsApiOptions } from './index.js';

/** Being written (issue 26): the signature is fixed so that the broadcast tier can code against it. */
export async function startEventsApi(_options: EventsApiOptions): Promise<EventsApi> {
  throw new Error('startEventsApi: not built yet');
}
