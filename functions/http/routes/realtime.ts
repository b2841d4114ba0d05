import { Hono } from 'hono';
import type { BroadcastInfo } from '../../realtime/protocol.js';

/** What `GET /realtime` answers (API.md v1.2): where to watch, directly and on the channels. */
export interface RealtimeEndpoints {
  websocketUrl: string;
  broadcast: BroadcastInfo | null;
}

/**
 * `GET /realtime`, public: the same for everyone and fixed per deployment, so it may be cached
 * (a crowd opening the page asks once each; the answer carries no secret beyond the public
 * subscribe key the channels are read with).
 */
export function realtimeRoutes(endpoints: RealtimeEndpoints) {
  return new Hono().get('/', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(endpoints);
  });
}
