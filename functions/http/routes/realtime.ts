import { Hono } from 'hono';
import type { BroadcastInfo } from '../../realtime/protocol.js';
import { errorBody } from '../errors.js';

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
export function realtimeRoutes(endpoints: RealtimeEndpoints | undefined) {
  return new Hono().get('/', (c) => {
    if (!endpoints) {
      return c.json(
        errorBody('realtime_not_configured', 'this deployment serves no WebSocket API (PUBLIC_WS_URL)'),
        404,
      );
    }
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(endpoints);
  });
}
