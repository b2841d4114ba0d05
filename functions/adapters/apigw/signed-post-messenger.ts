import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import aws4 from 'aws4';
import type { ConnectionMessenger, PostOutcome } from '../../ports/realtime.js';
import { DEFAULT_MESSENGER_POLICY, type MessengerPolicy } from './management-api-messenger.js';

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

/** Credentials are refreshed this long before they expire (the SDK's own margin is 5 minutes). */
const CREDENTIAL_MARGIN_MS = 5 * 60 * 1000;
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
 * HTTP request per receiver, SigV4-signed for `execute-api` with aws4. A wave posts the same bytes
 * to every receiver, so their SHA-256 is computed once per payload (sent as x-amz-content-sha256,
 * which the signature covers) and aws4 keeps the day's signing key; what is left per call is the
 * canonical request of its path and one HMAC. Measured on this machine (bench:fanout, same run):
 * see the README; the SDK client spent ~400 us of CPU per call, mostly in its middleware stack.
 *
 * The guarantees of the SDK path hold: a hard timeout per call (the request is destroyed), 429 /
 * throttling retried with exponential backoff and full jitter, 410 reported as `gone`, and nothing
 * else retried (a timeout or a 5xx may have been delivered: a repeat would break the strictly
 * increasing seq). Credentials come from the SDK's provider chain and are refreshed before expiry.
 */
export class SignedPostMessenger implements ConnectionMessenger {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly policy: MessengerPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly payloadHashes = new WeakMap<Uint8Array, string>();
  private credentials: AwsCredentialIdentity | undefined;
  private refreshing: Promise<AwsCredentialIdentity> | undefined;

  constructor(private readonly options: SignedPostOptions) {
    this.url = new URL(options.endpoint);
    this.basePath = this.url.pathname.replace(/\/$/, '');
    const https = this.url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, scheduling: 'lifo' as const };
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.send = https ? httpsRequest : httpRequest;
    this.policy = options.policy ?? DEFAULT_MESSENGER_POLICY;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async post(connectionId: string, data: Uint8Array): Promise<PostOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        const status = await this.postOnce(connectionId, data);
        if (status === 410) return 'gone';
        return 'delivered';
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

  destroy(): void {
    this.agent.destroy();
  }

  /** Resolves with 200 or 410; rejects with a PostFailure for anything else, a timeout included. */
  private async postOnce(connectionId: string, data: Uint8Array): Promise<number> {
    const credentials = await this.currentCredentials();
    let payloadHash = this.payloadHashes.get(data);
    if (!payloadHash) {
      payloadHash = createHash('sha256').update(data).digest('hex');
      this.payloadHashes.set(data, payloadHash);
    }
    const signed = aws4.sign(
      {
        host: this.url.host,
        path: `${this.basePath}/@connections/${encodeURIComponent(connectionId)}`,
        method: 'POST',
        service: 'execute-api',
        region: this.options.region,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(data.byteLength),
          'X-Amz-Content-Sha256': payloadHash,
        },
      },
      credentials,
    );
    return new Promise<number>((resolve, reject) => {
      const call = this.send(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          path: signed.path,
          method: 'POST',
          headers: signed.headers as Record<string, string>,
          agent: this.agent,
        },
        (response: IncomingMessage) => {
          const status = response.statusCode ?? 0;
          if (status === 200 || status === 410) {
            response.resume();
            response.once('end', () => {
              clearTimeout(timer);
              resolve(status);
            });
            return;
          }
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () => {
            clearTimeout(timer);
            const type = String(response.headers['x-amzn-errortype'] ?? '').split(':')[0] || undefined;
            reject(
              new PostFailure(
                `PostToConnection answered ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`,
                status,
                type,
              ),
            );
          });
        },
      );
      const timer = setTimeout(
        () => call.destroy(new PostFailure(`PostToConnection timed out after ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      call.once('error', (error) => {
        clearTimeout(timer);
        reject(error instanceof PostFailure ? error : new PostFailure(error.message));
      });
      call.end(data);
    });
  }

  private async currentCredentials(): Promise<AwsCredentialIdentity> {
    const current = this.credentials;
    const fresh =
      current && (!current.expiration || current.expiration.getTime() - Date.now() > CREDENTIAL_MARGIN_MS);
    if (current && fresh) return current;
    this.refreshing ??= this.options
      .credentials()
      .then((credentials) => {
        this.credentials = credentials;
        return credentials;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}
