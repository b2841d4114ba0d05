/**
 * CORS of the HTTP API, shared by the CDK stack (API Gateway's `corsPreflight`) and the local
 * HTTP gateway, so that a browser page (the demo app on its own port) talks to the local API under
 * the same rules as to the deployed one. The origins are per stage (lib/config/stages.ts); the local
 * runtime allows any origin, as the dev stage does.
 */
export const httpCors = {
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
  // Retry-After is not a CORS-safelisted response header: without this, a page cannot honour it.
  exposeHeaders: ['retry-after'],
  maxAgeSeconds: 3_600,
} as const;
