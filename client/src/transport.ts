/**
 * One HTTP exchange with retries. The retry policy is per route:
 * - `keyed` (bids, orders): one Idempotency-Key per call, sent on every attempt, so the server
 *   answers a retry with the first decision and a lost answer can never place a second bid;
 * - `read` (GETs): retried like `keyed`, nothing to protect;
 * - `once` (creates, cancel, the webhook): never retried, the caller decides.
 * Retried: network errors (no answer, or an answer cut before its body ended), attempts over the
 * timeout, and `503` after its Retry-After (a Retry-After longer than `maxDelayMs` ends the retries);
 * for a keyed call, `500`/`502`/`504` (the server may have decided before failing) and, after such an
 * answer or an unanswered attempt, `429` as well; a keyed call that ends there is a `NetworkError`
 * carrying its key (outcome unknown), never an `ApiError` the app could read as a refusal.
 */
import { ApiError, type ApiErrorDetails, NetworkError } from './errors.js';
import type { FetchLike, RetryOptions, TokenSource } from './types.js';

export type RetryPolicy = 'keyed' | 'read' | 'once';

export interface TransportOptions {
  baseUrl: string;
  token: TokenSource;
  fetch: FetchLike;
  retry: Required<RetryOptions>;
  timeoutMs: number;
}

export interface Call {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON-encoded once: every attempt sends the very same bytes. */
  body?: unknown;
  /** Sent as is (the payment webhook signs the raw body). */
  rawBody?: string;
  headers?: Record<string, string>;
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
}

export async function resolveToken(source: TokenSource): Promise<string | undefined> {
  const token = typeof source === 'function' ? await source() : source;
  return token ?? undefined;
}

/** Full jitter: uniform in [0, min(max, base * 2^retry)], so many clients do not retry in step. */
export function backoffDelay(retry: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** retry);
}

/** A random key made with crypto.getRandomValues, present in browsers (secure context or not), Node and Lambda. */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `c-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

function retryAfterSeconds(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

function toApiError(status: number, text: string, retryAfter: number | undefined): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: unknown } | undefined)?.error;
  if (error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string') {
    const { code, message, ...details } = error as { code: string; message?: unknown };
    return new ApiError(
      status,
      code,
      typeof message === 'string' ? message : code,
      details as ApiErrorDetails<string>,
      retryAfter,
    );
  }
  // Not the API's error shape (a proxy, a gateway): keep the status, name no code of the API.
  return new ApiError(status, `http_${status}`, text.slice(0, 200) || `HTTP ${status}`, {}, retryAfter);
}

interface Attempt {
  status: number;
  text: string;
  retryAfter: number | undefined;
}

/** One attempt: the answer read to its end, or a throw (network error, timeout, caller's abort). */
async function attempt(options: TransportOptions, url: string, init: RequestInit, signal?: AbortSignal) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  const forward = () => controller.abort(signal?.reason);
  if (signal?.aborted) forward();
  signal?.addEventListener('abort', forward, { once: true });
  try {
    const response = await options.fetch(url, { ...init, signal: controller.signal });
    // The body is read inside the attempt: an answer cut after its status line is no answer.
    const text = await response.text();
    return { status: response.status, text, retryAfter: retryAfterSeconds(response) } satisfies Attempt;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}

/** Answers that may come after the server decided (a crash, a timeout, a gateway between). */
const UNKNOWN_OUTCOME_STATUSES = new Set([500, 502, 504]);

export async function send<T>(options: TransportOptions, call: Call): Promise<T> {
  const url = new URL(
    call.path.replace(/^\//, ''),
    options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
  );
  for (const [name, value] of Object.entries(call.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const attempts = call.policy === 'once' ? 1 : Math.max(1, options.retry.attempts);
  const idempotencyKey = call.headers?.['idempotency-key'];
  // Once an attempt of a keyed call went unanswered, the server may have decided it: from then on
  // a 429 is retried too (the user-wide limit counts a replay before it is recognised), and a call
  // that ends without a decision is "outcome unknown", never a refusal the app could act on.
  let unanswered = false;
  const unknownOutcome = (made: number, cause: unknown) =>
    new NetworkError(
      `${call.method} ${call.path}: no decision after ${made} attempt(s), outcome unknown (an attempt went unanswered or failed in the server or a gateway): retry with idempotencyKey ${idempotencyKey} to learn it`,
      made,
      cause,
      idempotencyKey,
    );
  for (let made = 1; ; made++) {
    const token = await resolveToken(options.token);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...call.headers,
    };
    let result: Attempt;
    try {
      result = await attempt(
        options,
        url.toString(),
        { method: call.method, headers, ...(body !== undefined ? { body } : {}) },
        call.signal,
      );
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      unanswered = true;
      if (made >= attempts) {
        throw new NetworkError(
          `${call.method} ${call.path}: no answer after ${made} attempt(s)`,
          made,
          error,
          idempotencyKey,
        );
      }
      await sleep(backoffDelay(made - 1, options.retry.baseDelayMs, options.retry.maxDelayMs), call.signal);
      continue;
    }
    if (result.status >= 200 && result.status < 300) {
      return (result.text === '' ? undefined : JSON.parse(result.text)) as T;
    }
    const error = toApiError(result.status, result.text, result.retryAfter);
    // API Gateway answers 500 when the function crashed or timed out, 502/504 for a broken or late
    // integration: each may come after the script decided, so for a keyed call it is no refusal
    // but an unknown outcome, asked again with the same key like an unanswered attempt.
    if (call.policy === 'keyed' && UNKNOWN_OUTCOME_STATUSES.has(result.status)) unanswered = true;
    const keyedAfterLoss = call.policy === 'keyed' && unanswered;
    const retryable =
      result.status === 503 ||
      (keyedAfterLoss && (result.status === 429 || UNKNOWN_OUTCOME_STATUSES.has(result.status)));
    if (!retryable) throw error;
    const waitMs =
      result.retryAfter !== undefined
        ? result.retryAfter * 1000
        : backoffDelay(made - 1, options.retry.baseDelayMs, options.retry.maxDelayMs);
    if (made >= attempts || waitMs > options.retry.maxDelayMs) {
      throw keyedAfterLoss ? unknownOutcome(made, error) : error;
    }
    await sleep(waitMs, call.signal);
  }
}
