/**
 * Errors as typed values. An HTTP error answer becomes an `ApiError` carrying the status, the
 * `code` and the details of `{"error": {code, message, ...details}}`; `is(code)` narrows the
 * details of the codes that have some. A request that never got an answer (network error,
 * timeout, retries used up; for a bid or an order whose outcome is unknown, also a 500/502/504,
 * or a 429/503 that ended the retries after such an answer or an unanswered attempt) is a
 * `NetworkError`.
 */

/** The codes the HTTP API answers with (API.md v1.2); test/client-rest.test.ts checks them against the OpenAPI document. */
export const API_ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'rate_limited',
  'idempotency_key_reused',
  'service_unavailable',
  'dependency_unavailable',
  'read_model_unavailable',
  'auction_unavailable',
  'product_unavailable',
  'auction_exists',
  'auction_not_found',
  'auction_not_open',
  'auction_closed',
  'bid_too_low',
  'already_leading',
  'seller_cannot_bid',
  'buy_now_unavailable',
  'product_exists',
  'product_not_found',
  'sale_not_active',
  'sold_out',
  'limit_exceeded',
  'order_not_found',
  'order_not_cancellable',
  'invalid_signature',
  'realtime_not_configured',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Details that come with some codes (API.md); every code may carry more. */
export interface ApiErrorDetailsByCode {
  bid_too_low: { minimumBid: number };
  sold_out: { available: number };
  limit_exceeded: { limit: number; purchased: number };
  rate_limited: { retryAfterSeconds: number };
  service_unavailable: { retryAfterSeconds?: number };
}

export type ApiErrorDetails<C extends string> = (C extends keyof ApiErrorDetailsByCode
  ? ApiErrorDetailsByCode[C]
  : unknown) &
  Record<string, unknown>;

export class ApiError<C extends string = ApiErrorCode | (string & {})> extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: C,
    message: string,
    readonly details: ApiErrorDetails<C>,
    /** Seconds from the `Retry-After` header, when there was one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  is<K extends ApiErrorCode>(code: K): this is ApiError<K> {
    return (this.code as string) === code;
  }
}

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly code = 'network_error' as const;
  constructor(
    message: string,
    /** Attempts made (retries of bids and orders reuse one Idempotency-Key). */
    readonly attempts: number,
    override readonly cause?: unknown,
    /**
     * Bids and orders: the key the attempts carried. The server may have decided the call: to
     * learn the outcome without risking a second bid, call again with `{ idempotencyKey }`.
     */
    readonly idempotencyKey?: string,
  ) {
    super(message);
  }
}

export function isApiError<K extends ApiErrorCode>(error: unknown, code?: K): error is ApiError<K> {
  return error instanceof ApiError && (code === undefined || error.code === code);
}
