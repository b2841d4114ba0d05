/**
 * Errors that carry their public meaning: an HTTP status, a snake_case code and extra details.
 * The HTTP layer maps them once (app.onError); the domain never knows about HTTP otherwise.
 */
export class AppError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(400, 'invalid_request', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid bearer token') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'this route needs the admin role', code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(409, code, message, details);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(
      429,
      'rate_limited',
      `too many requests, retry in ${retryAfterSeconds}s`,
      { retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request');
  }
}

export class UnavailableError extends AppError {
  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(503, code, message, { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * A deciding step (a bid, a reservation, a cancel, a payment, a create or a close) failed after it
 * may have run: its reply was lost or timed out, so whether it took effect is unknown. Never "nothing
 * was decided": the same request again (with its Idempotency-Key, where the route takes one) gets the
 * outcome. Other dependency failures, before anything is decided, say `outcome: "none"`.
 */
export class OutcomeUnknownError extends AppError {
  /** `reason`: the dependency's own message, for the log only. */
  constructor(readonly reason = '') {
    super(
      503,
      'service_unavailable',
      'a dependency failed while this request was being decided: it may have taken effect; retry it with the same Idempotency-Key to learn its outcome',
      { retryAfterSeconds: 1, outcome: 'unknown' },
      { 'Retry-After': '1' },
    );
  }
}

/**
 * A token names a signing key this instance has not cached and the issuer's key set (JWKS) could not
 * be fetched, or was fetched moments ago and failed (the refetch is rate limited). Whether the token
 * is valid is unknown, so not a 401 (the client would sign in again for nothing) and not a 500: the
 * client retries after Retry-After. Mapped once in app.onError (it is an AppError) and at the
 * WebSocket handshake (functions/realtime/use-cases/connection-events.ts).
 */
export class SigningKeysUnavailableError extends UnavailableError {
  constructor(retryAfterSeconds: number) {
    super(
      'signing_keys_unavailable',
      "the identity provider's signing keys could not be fetched, retry shortly",
      retryAfterSeconds,
    );
  }
}
