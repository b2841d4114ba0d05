/**
 * The public face of the local AWS stand-ins: what tests, benchmarks and scripts may use
 * (local-aws/public-face.test.ts fails when they reach past it). Everything else under local-aws/ is
 * internal to the runtime; the stand-ins' own unit tests sit beside their modules.
 *
 * - the whole runtime `npm run local` starts (local-aws/main.ts is its command line):
 *   startLocalRuntime;
 * - API Gateway: the WebSocket API and its management API on one port (startWebSocketGateway,
 *   API_GATEWAY_LIMITS, LOCAL_CREDENTIALS for signing management calls), the HTTP API with payload
 *   v2 (startHttpGateway, in front of a LocalFunction);
 * - SQS: local-aws-sqs in process with the stack's queues (startSqs, createLocalSqsClient);
 * - identity: the OIDC issuer (startLocalOidcIssuer), the local secrets file (secretsFile);
 * - Redis and PostgreSQL started privately (startRedis, startPostgres), LocalRuntimeError for a
 *   clear message without a stack;
 * - AppSync Events: the broadcast channels' API (startEventsApi: WebSocket /event/realtime, HTTP
 *   POST /event, SigV4 publishing, API-key subscribing);
 * - the account's one API Gateway request budget (AccountBudget, accountBudgetFromEnv);
 * - the auction closer's stand-in (Step Functions; startLocalAuctionCloser, issue 27);
 * - free ports, and CPU time by process and OS thread for the benchmarks.
 */

export {
  type EventsApi,
  type EventsApiLimits,
  type EventsApiOptions,
  type EventsApiStats,
  startEventsApi,
} from './events-api/index.js';
export {
  AccountBudget,
  type AccountBudgetOptions,
  type AccountBudgetStats,
  AWS_ACCOUNT_BUDGET,
  accountBudgetFromEnv,
  THROTTLED,
} from './gateways/account-budget.js';
export { type HttpGateway, startHttpGateway } from './gateways/http/http-gateway.js';
export type {
  WebSocketEvent,
  WebSocketHandler,
  WebSocketHandlerResult,
  WebSocketRequestContext,
} from './gateways/websocket/events.js';
export type { ManagementStats } from './gateways/websocket/management-side.js';
export {
  API_GATEWAY_LIMITS,
  LOCAL_CREDENTIALS,
  startWebSocketGateway,
  type WebSocketGateway,
  type WebSocketGatewayOptions,
} from './gateways/websocket/websocket-gateway.js';
export { LOCAL_OIDC_AUDIENCE, type LocalOidcIssuer, startLocalOidcIssuer } from './identity/oidc-issuer.js';
export { secretsFile } from './identity/secrets.js';
export type { LocalCredentials } from './identity/sigv4-verifier.js';
export type { LocalFunction } from './lambda/functions.js';
export {
  type LocalRuntime,
  type LocalRuntimeOptions,
  type LocalRuntimeUrls,
  startLocalRuntime,
} from './runtime.js';
export { type LocalPostgres, startPostgres } from './services/postgres.js';
export { type LocalRedis, startRedis } from './services/redis.js';
export { LocalRuntimeError } from './shared/log.js';
export { freePort, isPortFree } from './shared/ports.js';
export { createLocalSqsClient, type LocalQueue, type LocalSqs, startSqs } from './sqs/sqs-server.js';
export {
  type CloseInvoker,
  type LocalAuctionCloser,
  startLocalAuctionCloser,
} from './stepfunctions/auction-closer.js';
export { machineCpuMs, osThreadId, processCpuMs, threadCpuMs } from './threads/os-thread.js';
