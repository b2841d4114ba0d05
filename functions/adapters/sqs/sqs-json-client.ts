import { createHash } from 'node:crypto';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { Pool } from 'undici';
import { CredentialCache, WaveSigner } from '../apigw/wave-signer.js';

/**
 * The SQS calls of the hot paths (SendMessageBatch on every accepted bid and reservation; the local
 * event source mappings' ReceiveMessage and DeleteMessageBatch) in SQS's AWS JSON 1.0 protocol, the
 * one @aws-sdk/client-sqs speaks, without the SDK's per-call machinery: a keep-alive undici pool to
 * the queue's endpoint, SigV4 by WaveSigner (the day's key kept, the headers aws4 makes), one
 * JSON.stringify of the input. Measured here (bench/bench-local.ts, docs/performance.md): the SDK
 * client cost ~550 us of CPU per SendMessageBatch, this ~150 us, and a bid sends two.
 *
 * What the SDK did that is kept: the queue URL's origin is the endpoint (the SDK's
 * `useQueueUrlAsEndpoint`), credentials from the SDK's provider chain refreshed before they expire
 * (Lambda's session token included), retries of throttling, 5xx and connection errors with
 * exponential backoff and full jitter (the SDK's standard mode: 3 attempts), a timeout per attempt.
 * A retried SendMessageBatch may deliver twice: every consumer is idempotent by event id.
 */
export interface SqsJsonClientOptions {
  /** The signing region, or the SDK client's provider of it. */
  region: string | (() => Promise<string>);
  credentials: AwsCredentialIdentityProvider;
  /** Keep-alive connections per endpoint. */
  connections?: number;
  /** Per attempt, from its start; a long poll gets its wait on top. */
  timeoutMs?: number;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SqsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64, as the JSON protocol carries it. */
  BinaryValue?: string;
}

export interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  MD5OfBody?: string;
  MD5OfMessageAttributes?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, SqsMessageAttribute>;
}

export interface SqsBatchResult {
  Successful?: { Id: string }[];
  Failed?: { Id: string; Code?: string; Message?: string; SenderFault?: boolean }[];
}

export interface SendEntry {
  Id: string;
  MessageBody: string;
  MessageAttributes?: Record<string, SqsMessageAttribute>;
}

/** An error SQS answered (`__type` without its namespace as `name`), or a transport failure. */
export class SqsCallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    errorType?: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = errorType ?? 'SqsCallError';
  }
}

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const THROTTLING = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'KmsThrottled',
]);
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 20_000;

export class SqsJsonClient {
  private readonly pools = new Map<string, Pool>();
  private signer: WaveSigner | undefined;
  private readonly endpoints = new Map<string, { origin: string; host: string }>();
  private readonly credentialCache: CredentialCache;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: SqsJsonClientOptions) {
    if (typeof options.region === 'string') this.signer = new WaveSigner(options.region, 'sqs');
    this.credentialCache = new CredentialCache(options.credentials);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  sendMessageBatch(queueUrl: string, entries: readonly SendEntry[]): Promise<SqsBatchResult> {
    return this.call('SendMessageBatch', queueUrl, { QueueUrl: queueUrl, Entries: entries });
  }

  /** A long poll (waitSeconds > 0) is cut by `signal`; short polls are not retried after a cut. */
  async receiveMessage(
    queueUrl: string,
    input: { max: number; waitSeconds: number; signal?: AbortSignal },
  ): Promise<SqsMessage[]> {
    const result = await this.call<{ Messages?: SqsMessage[] }>(
      'ReceiveMessage',
      queueUrl,
      {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: input.max,
        WaitTimeSeconds: input.waitSeconds,
        MessageSystemAttributeNames: ['All'],
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      },
      { extraTimeoutMs: input.waitSeconds * 1000, signal: input.signal },
    );
    return result.Messages ?? [];
  }

  deleteMessageBatch(
    queueUrl: string,
    entries: readonly { Id: string; ReceiptHandle: string }[],
  ): Promise<SqsBatchResult> {
    return this.call('DeleteMessageBatch', queueUrl, { QueueUrl: queueUrl, Entries: entries });
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
    this.pools.clear();
  }

  private async call<T>(
    operation: string,
    queueUrl: string,
    input: unknown,
    options: { extraTimeoutMs?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    const body = JSON.stringify(input);
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.attempt(operation, queueUrl, body, options)) as T;
      } catch (error) {
        const retryable = error instanceof SqsCallError && error.retryable;
        if (!retryable || attempt >= maxAttempts || options.signal?.aborted) throw error;
        const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
        await this.sleep(Math.random() * cap);
      }
    }
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.options.connections ?? 16, pipelining: 1 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  private async attempt(
    operation: string,
    queueUrl: string,
    body: string,
    options: { extraTimeoutMs?: number; signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    let url = this.endpoints.get(queueUrl);
    if (!url) {
      const parsed = new URL(queueUrl);
      url = { origin: parsed.origin, host: parsed.host };
      this.endpoints.set(queueUrl, url);
    }
    const credentials = await this.credentialCache.current();
    this.signer ??= new WaveSigner(await (this.options.region as () => Promise<string>)(), 'sqs');
    const headers = this.signer.sign(
      {
        host: url.host,
        path: '/',
        contentType: CONTENT_TYPE,
        contentLength: Buffer.byteLength(body),
        payloadHash: createHash('sha256').update(body, 'utf8').digest('hex'),
        target: `AmazonSQS.${operation}`,
      },
      credentials,
    );
    const timeoutMs = (this.options.timeoutMs ?? 10_000) + (options.extraTimeoutMs ?? 0);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.pool(url.origin).request({ path: '/', method: 'POST', headers, body, signal });
    } catch (error) {
      const cut = options.signal?.aborted === true;
      const message = error instanceof Error ? error.message : String(error);
      // A connection error or a timeout: the call may or may not have reached SQS; retried, as the
      // SDK does (callers are idempotent). A cut by the caller's signal is not.
      throw new SqsCallError(
        `SQS ${operation}: ${timeout.aborted ? `no answer within ${timeoutMs} ms` : message}`,
        undefined,
        cut ? 'AbortError' : undefined,
        !cut,
      );
    }
    const text = await response.body.text();
    if (response.statusCode === 200) return text === '' ? {} : JSON.parse(text);
    let errorType: string | undefined;
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
      errorType = parsed.__type?.split('#').pop();
      message = parsed.message ?? parsed.Message ?? message;
    } catch {
      // not JSON: the status says enough
    }
    const status = response.statusCode;
    const retryable =
      status >= 500 || status === 429 || (errorType !== undefined && THROTTLING.has(errorType));
    throw new SqsCallError(
      `SQS ${operation} answered ${status} ${errorType ?? ''}: ${message}`,
      status,
      errorType,
      retryable,
    );
  }
}
