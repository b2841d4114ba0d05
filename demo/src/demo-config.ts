/** What the demo server puts into the page shell (`#demo-config`), read by the pages. */
export interface DemoConfig {
  /** The HTTP API, e.g. http://127.0.0.1:3000 */
  httpUrl: string;
  /** The WebSocket API, e.g. ws://127.0.0.1:3001 */
  wsUrl: string;
}
