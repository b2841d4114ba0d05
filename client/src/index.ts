/**
 * The typed client of the live-sale API (API.md v1.1). ESM, no Node-only APIs: it uses the global
 * `fetch` and `WebSocket` (both injectable) and runs in browsers, Node 22+ and Lambda.
 *
 * ```ts
 * const client = createClient({ baseUrl: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001', token });
 * const { auction } = await client.placeBid('a1', { amount: 1500 });
 * const live = client.connect();
 * live.subscribeAuction('a1', (update) => render(update.auction));
 * ```
 */
import { createLive } from './live.js';
import { createRestClient } from './rest.js';
import type { Client, ClientOptions, FetchLike, WebSocketConstructor } from './types.js';

export type { ApiErrorCode, ApiErrorDetails, ApiErrorDetailsByCode } from './errors.js';
export { API_ERROR_CODES, ApiError, isApiError, NetworkError } from './errors.js';
export type * from './types.js';

export function createClient(options: ClientOptions): Client {
  // Looked up at call time, not import time: a page may polyfill them, Node before 22 has no WebSocket.
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const rest = createRestClient({
    baseUrl: options.baseUrl,
    token: options.token,
    fetch: fetchImpl,
    retry: {
      attempts: options.retry?.attempts ?? 5,
      baseDelayMs: options.retry?.baseDelayMs ?? 200,
      maxDelayMs: options.retry?.maxDelayMs ?? 10_000,
    },
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  return {
    ...rest,
    connect(liveOptions) {
      const WebSocketImpl =
        options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!options.wsUrl) throw new Error('createClient: connect() needs the wsUrl option');
      if (!WebSocketImpl) {
        throw new Error(
          "createClient: no global WebSocket here (Node before 22): pass one, e.g. the ws package's",
        );
      }
      return createLive(
        { wsUrl: options.wsUrl, token: options.token, WebSocket: WebSocketImpl, rest },
        liveOptions,
      );
    },
  };
}
