import { createHash } from 'node:crypto';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { Pool } from 'undici';
import type { ConnectionMessenger, PostOutcome } from '../../realtime/ports.js';
import { DEFAULT_MESSENGER_POLICY, type MessengerPolicy } from './management-api-messenger.js';
import { CredentialCache, WaveSigner } from './wave-signer.js';

export interface SignedPostOptions {
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`, or the local gateway's `http://host:port`. */
  endpoint: string;
  region: string;
  /** The SDK's provider chain (the management client's `config.credentials`): a session token on Lambda. */
  credentials: AwsCredentialIdentityProvider;
  /** Keep-alive sockets to the endpoint: at least the fan-out's concurrency. */
  maxSockets: number;
  /** Hard timeout per call, from its start (waiting for a socket included). */
  timeoutMs: number;
  policy?: MessengerPolicy;
  onError?: (connectionId: string, error: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Retries of a throttled wave post: it was certainly not delivered, so it is retried patiently (up
 * to ~2.5 s of backoff), as the newest state must still reach the watcher when the account's budget
 * runs out mid-wave. lib/config/functions.ts sizes the fan-out's timeout from these figures.
 */
export const WAVE_POST_POLICY: MessengerPolicy = {
  throttleRetries: 6,
  backoffBaseMs: 50,
  backoffMaxMs: 1_000,
};

/** Calls started within this long share one deadline (one timer, not one per call). */
const DEADLINE_SLICE_MS = 100;
const THROTTLING = new Set(['LimitExceededException', 'ThrottlingException', 'TooManyRequestsException']);

export class PostFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly errorType?: string,
  ) {
    super(message);
    this.name = errorType ?? 'PostFailure';
  }
}

/**
 * PostToConnection for the fan-out's waves, without the SDK's per-call machinery: one keep-alive
 * request per receiver through an undici connection pool, SigV4-signed for `execute-api` by
 * WaveSigner (wave-signer.ts: the same headers as aws4, half its CPU per call). A wave posts the
 * same bytes to every receiver, so their SHA-256 is computed once per payload (sent as
 * x-amz-content-sha256, which the signature covers) and the day's signing key is kept; what is
 * left per call is the canonical request of its path and one HMAC. undici rather than
 * node:http: it cost ~35 us of client CPU per keep-alive POST where node:http cost ~50-75 (same
 * run, this machine); the SDK client cost ~400 us, mostly in its middleware stack.
 *
 * The guarantees of the SDK path hold: a hard timeout per call (aborted), 429 / throttling retried
 * with exponential backoff and full jitter, 410 reported as `gone`, nothing else retried (a timeout
 * or a 5xx may have been delivered: a repeat would break the strictly increasing seq). Credentials
 * come from the SDK's provider chain and are refreshed before they expire.
 */
export class SignedPostMessenger implements ConnectionMessenger {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly pool: Pool;
  private readonly policy: MessengerPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly payloadHashes = new WeakMap<Uint8Array, string>();
  private readonly signer: WaveSigner;
  private readonly credentialCache: CredentialCache;
  private deadline: { controller: AbortController; startedAt: number } | undefined;

  constructor(private readonly options: SignedPostOptions) {
    this.url = new URL(options.endpoint);
    this.basePath = this.url.pathname.replace(/\/$/, '');
    this.pool = new Pool(this.url.origin, { connections: options.maxSockets, pipelining: 1 });
    this.policy = options.policy ?? DEFAULT_MESSENGER_POLICY;
    this.signer = new WaveSigner(options.region);
    this.credentialCache = new CredentialCache(options.credentials);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async post(connectionId: string, data: Uint8Array): Promise<PostOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.postOnce(connectionId, data)) === 410 ? 'gone' : 'delivered';
      } catch (error) {
        const throttled =
          error instanceof PostFailure &&
          (error.status === 429 || (error.errorType !== undefined && THROTTLING.has(error.errorType)));
        if (throttled && attempt < this.policy.throttleRetries) {
          const cap = Math.min(this.policy.backoffMaxMs, this.policy.backoffBaseMs * 2 ** attempt);
          await this.sleep(Math.random() * cap);
          continue;
        }
        this.options.onError?.(connectionId, error);
        return 'failed';
      }
    }
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  /**
   * The hard timeout without a timer per call: calls started within the same DEADLINE_SLICE_MS
   * share one AbortController, aborted `timeoutMs + DEADLINE_SLICE_MS` after the slice began, so
   * each call is cut between `timeoutMs` and `timeoutMs + DEADLINE_SLICE_MS` after it started,
   * waiting for a connection included.
   */
  private signal(): AbortSignal {
    const now = Date.now();
    if (!this.deadline || now - this.deadline.startedAt >= DEADLINE_SLICE_MS) {
      const controller = new AbortController();
      const timeoutMs = this.options.timeoutMs;
      setTimeout(
        () => controller.abort(new PostFailure(`PostToConnection timed out after ${timeoutMs} ms`)),
        timeoutMs + DEADLINE_SLICE_MS,
      ).unref();
      this.deadline = { controller, startedAt: now };
    }
    return this.deadline.controller.signal;
  }

  /** Resolves with 200 or 410; rejects with a PostFailure for anything else, a timeout included. */
  private async postOnce(connectionId: string, data: Uint8Array): Promise<number> {
    const signal = this.signal();
    const credentials = await this.credentialCache.current();
    let payloadHash = this.payloadHashes.get(data);
    if (!payloadHash) {
      payloadHash = createHash('sha256').update(data).digest('hex');
      this.payloadHashes.set(data, payloadHash);
    }
    const path = `${this.basePath}/@connections/${encodeURIComponent(connectionId)}`;
    const headers = this.signer.sign(
      {
        host: this.url.host,
        path,
        contentType: 'application/octet-stream',
        contentLength: data.byteLength,
        payloadHash,
      },
      credentials,
    );
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.pool.request({
        path,
        method: 'POST',
        headers,
        body: data,
        signal,
      });
    } catch (error) {
      if (error instanceof PostFailure) throw error;
      throw new PostFailure(error instanceof Error ? error.message : String(error));
    }
    const status = response.statusCode;
    if (status === 200 || status === 410) {
      await response.body.dump();
      return status;
    }
    const text = await response.body.text().catch(() => '');
    const type = String(response.headers['x-amzn-errortype'] ?? '').split(':')[0] || undefined;
    throw new PostFailure(`PostToConnection answered ${status}: ${text.slice(0, 200)}`, status, type);
  }
}
