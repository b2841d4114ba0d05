import { createHash } from 'node:crypto';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { Pool } from 'undici';
import type { ChannelPublisher, PublishOutcome } from '../../realtime/ports.js';
import { CredentialCache, WaveSigner } from '../apigw/wave-signer.js';

export interface EventsPublisherOptions {
  /** The Events API's HTTP publish endpoint: `https://{http domain}/event` (locally `http://127.0.0.1:EVENTS_PORT/event`). */
  url: string;
  region: string;
  /** The SDK's provider chain (the fan-out role's credentials on Lambda, a session token included). */
  credentials: AwsCredentialIdentityProvider;
  /** Hard timeout of one attempt. */
  timeoutMs: number;
  /** Attempts in all (first included); every failure but a refusal (4xx other than 429) is retried. */
  attempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  onError?: (channel: string, error: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
}

export class PublishFailure extends Error {
  override name = 'PublishFailure';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * The HTTP publish of AppSync Events (`POST /event`, body `{"channel","events":[JSON text...]}`,
 * answer `{"successful":[...],"failed":[...]}`), signed with SigV4 for the `appsync` service: the
 * Events API lets only the fan-out's IAM role publish. Signed by the same WaveSigner as the lean
 * PostToConnection and SQS paths (the day's key and the second's timestamp kept), sent through an
 * undici keep-alive pool: no SDK client exists for this data-plane call, and one POST per topic
 * update needs nothing more.
 *
 * Unlike a PostToConnection, a publish is retried on a timeout or a 5xx too: channel events may
 * arrive twice (API.md), subscribers drop a seq they already have, so a repeat costs a delivery and
 * a lost update costs every watcher a gap. A 4xx other than 429 (unauthorised, too large, a bad
 * channel) is a refusal: not retried.
 */
export class EventsPublisher implements ChannelPublisher {
  private readonly url: URL;
  private readonly pool: Pool;
  private readonly signer: WaveSigner;
  private readonly credentialCache: CredentialCache;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: EventsPublisherOptions) {
    this.url = new URL(options.url);
    // A few keep-alive sockets: one publish per topic per rate window, whatever the audience.
    this.pool = new Pool(this.url.origin, { connections: 8, pipelining: 1 });
    this.signer = new WaveSigner(options.region, 'appsync');
    this.credentialCache = new CredentialCache(options.credentials);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async publish(channel: string, events: readonly string[]): Promise<PublishOutcome> {
    const body = Buffer.from(JSON.stringify({ channel, events }));
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publishOnce(body);
        return 'published';
      } catch (error) {
        const refused =
          error instanceof PublishFailure &&
          error.status !== undefined &&
          error.status >= 400 &&
          error.status < 500 &&
          error.status !== 429;
        if (refused || attempt >= attempts) {
          this.options.onError?.(channel, error);
          return 'failed';
        }
        const cap = Math.min(
          this.options.backoffMaxMs ?? 1_000,
          (this.options.backoffBaseMs ?? 50) * 2 ** attempt,
        );
        await this.sleep(Math.random() * cap);
      }
    }
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  private async publishOnce(body: Buffer): Promise<void> {
    const credentials = await this.credentialCache.current();
    const path = this.url.pathname;
    const headers = this.signer.sign(
      {
        host: this.url.host,
        path,
        contentType: 'application/json',
        contentLength: body.byteLength,
        payloadHash: createHash('sha256').update(body).digest('hex'),
      },
      credentials,
    );
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.pool.request({
        path,
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new PublishFailure(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    const text = await response.body.text().catch(() => '');
    if (response.statusCode !== 200) {
      throw new PublishFailure(
        `publish answered ${response.statusCode}: ${text.slice(0, 200)}`,
        response.statusCode,
      );
    }
    // 200 with events in `failed`: AppSync refused them one by one (e.g. too large); not retried.
    const answer = safeJson(text) as { failed?: { code?: unknown; message?: unknown }[] } | undefined;
    const failed = answer?.failed ?? [];
    if (failed.length > 0) {
      const first = failed[0];
      throw new PublishFailure(
        `publish refused ${failed.length} event(s): ${String(first?.code)} ${String(first?.message)}`,
        400,
      );
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
