/**
 * The typed client of the live-sale API (API.md v1.1). ESM, no Node-only APIs: it uses the global
 * `fetch` and `WebSocket` (both injectable) and runs in browsers, Node 20+ and Lambda.
 *
 * ```ts
 * const client = createClient({ baseUrl: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001', token });
 * const { auction } = await client.placeBid('a1', { amount: 1500 });
 * const live = client.connect();
 * live.subscribeAuction('a1', (update) => render(update.auction));
 * ```
 */
import type { Client, ClientOptions } from './types.js';

export type { ApiErrorCode, ApiErrorDetails, ApiErrorDetailsByCode } from './errors.js';
export { API_ERROR_CODES, ApiError, isApiError, NetworkError } from './errors.js';
export type * from './types.js';

export function createClient(options: ClientOptions): Client {
  void options;
  throw new Error('not implemented');
}
