/**
 * What the local WebSocket API hands the ws function and reads back: API Gateway's WebSocket proxy
 * integration event and result, as `functions/ws/lambda.ts` gets and returns them.
 */

export interface WebSocketRequestContext {
  routeKey: string;
  messageId?: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  extendedRequestId: string;
  requestTime: string;
  messageDirection: 'IN';
  stage: string;
  connectedAt: number;
  requestTimeEpoch: number;
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
  identity: { sourceIp: string; userAgent?: string };
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

/** The shape of API Gateway's WebSocket proxy integration event (what `functions/ws/lambda.ts` gets). */
export interface WebSocketEvent {
  requestContext: WebSocketRequestContext;
  isBase64Encoded: boolean;
  body?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
}

export interface WebSocketHandlerResult {
  statusCode?: number;
  body?: string;
  /** Only Retry-After is passed on, on a refused `$connect` (a 503 while the token issuer's keys are unreachable). */
  headers?: Record<string, string>;
}

/** A Lambda handler; its result is read like API Gateway reads a proxy integration's result. */
export type WebSocketHandler = (event: WebSocketEvent, context: Record<string, unknown>) => Promise<unknown>;
