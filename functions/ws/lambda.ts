import { logger } from '../observability.js';
import {
  handleWsEvent,
  type WsConnectResult,
  type WsEvent,
} from '../realtime/use-cases/connection-events.js';
import { composeWs } from './compose.js';

// Cold start: configuration, secrets and clients, once. A bad configuration fails here, loudly.
const { deps } = await composeWs(logger);

/** API Gateway WebSocket routes `$connect`, `$disconnect` and `$default`. */
export const handler = (event: WsEvent): Promise<WsConnectResult> => handleWsEvent(deps, event);
