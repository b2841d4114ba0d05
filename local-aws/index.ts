/**
 * The public face of the local AWS stand-ins: what tests, benchmarks and scripts may use. Everything
 * else under local-aws/ is internal to the runtime (its own unit tests sit beside their modules and
 * may import them directly); import from here, so that the stand-ins can be rearranged freely.
 */

export { type HttpGateway, startHttpGateway } from './gateways/http/http-gateway.js';

// API Gateway: the WebSocket API with its management API, and the HTTP API (payload v2).
export {
  API_GATEWAY_LIMITS,
  LOCAL_CREDENTIALS,
  type ManagementStats,
  startWebSocketGateway,
  type WebSocketEvent,
  type WebSocketGateway,
  type WebSocketGatewayOptions,
  type WebSocketHandler,
  type WebSocketHandlerResult,
  type WebSocketRequestContext,
} from './gateways/websocket/websocket-gateway.js';
// Identity: the OIDC issuer, the management API's SigV4 credentials, the local secrets file.
export { LOCAL_OIDC_AUDIENCE, type LocalOidcIssuer, startLocalOidcIssuer } from './identity/oidc-issuer.js';
export { secretsFile } from './identity/secrets.js';
export type { LocalCredentials } from './identity/sigv4-verifier.js';
export type { LocalFunction } from './lambda/functions.js';
// The whole runtime (what `npm run local` starts, local-aws/main.ts being its command line).
export {
  type LocalRuntime,
  type LocalRuntimeOptions,
  type LocalRuntimeUrls,
  startLocalRuntime,
} from './runtime.js';
// Redis and PostgreSQL: the configured ones or private servers started and removed again.
export { type LocalPostgres, startPostgres } from './services/postgres.js';
export { type LocalRedis, startRedis } from './services/redis.js';
// Shared: the runtime's error for a clear message without a stack, free ports, CPU time by OS thread.
export { LocalRuntimeError } from './shared/log.js';
export { freePort, isPortFree } from './shared/ports.js';
// SQS (local-aws-sqs in process, with the stack's queues and dead-letter queues).
export { createLocalSqsClient, type LocalQueue, type LocalSqs, startSqs } from './sqs/sqs-server.js';
export { machineCpuMs, osThreadId, processCpuMs, threadCpuMs } from './threads/os-thread.js';
