import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { readEnvironment } from '../../functions/config.js';
import { composeHttpApp } from '../../functions/http/compose.js';
import type { LogSink } from '../../functions/ports/logger.js';
import { TEST_JWT_SECRET, tokenFor } from './tokens.js';
import { TEST_WEBHOOK_SECRET } from './webhooks.js';

export const quietLogger: LogSink & { warnings: string[]; errors: string[] } = {
  warnings: [],
  errors: [],
  warn(message) {
    this.warnings.push(message);
  },
  error(message) {
    this.errors.push(message);
  },
};

export interface HttpFixtureOptions {
  redisUrl: string;
  cluster?: boolean;
  sqsEndpoint: string;
  bidRateLimit?: number;
  /** The per-auction limit's window (BID_RATE_WINDOW_MS, 1 s by default). */
  bidRateWindowMs?: number;
  orderRateLimit?: number;
  /** The per-product limit's window (ORDER_RATE_WINDOW_MS, 1 s by default). */
  orderRateWindowMs?: number;
  userRateLimit?: number;
  /** The user-wide limit's window (USER_RATE_WINDOW_MS, 1 s by default). */
  userRateWindowMs?: number;
  /** EVENTS_READ_RATE_LIMIT / _WINDOW_MS (off unless given). */
  eventsReadRateLimit?: number;
  eventsReadRateWindowMs?: number;
  /** SOLD_OUT_MEMO_MS (the deployed default unless given). */
  soldOutMemoMs?: number;
  /** PostgreSQL for the read-back and the listings; without it the API runs on Redis alone. */
  databaseUrl?: string;
  /** More configuration (e.g. JWT_ISSUER and the other OIDC variables). */
  env?: Record<string, string>;
}

/**
 * The real HTTP composition root (real Redis, real SQS protocol) with fresh queues per fixture, so
 * tests can read exactly the events they caused.
 */
export async function createHttpFixture(options: HttpFixtureOptions) {
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: options.sqsEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const suffix = ulid().toLowerCase();
  const [persist, fanout] = await Promise.all(
    ['persist', 'fanout'].map((name) => sqs.send(new CreateQueueCommand({ QueueName: `${name}-${suffix}` }))),
  );
  const env = readEnvironment({
    REDIS_URL: options.redisUrl,
    REDIS_CLUSTER: options.cluster ? 'true' : 'false',
    PERSIST_QUEUE_URL: persist?.QueueUrl,
    FANOUT_QUEUE_URL: fanout?.QueueUrl,
    SQS_ENDPOINT: options.sqsEndpoint,
    JWT_SECRET: TEST_JWT_SECRET,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ORDER_RATE_LIMIT: String(options.orderRateLimit ?? 1_000_000),
    BID_RATE_LIMIT: String(options.bidRateLimit ?? 1_000_000),
    BID_RATE_WINDOW_MS: String(options.bidRateWindowMs ?? 1_000),
    ...(options.orderRateWindowMs ? { ORDER_RATE_WINDOW_MS: String(options.orderRateWindowMs) } : {}),
    USER_RATE_LIMIT: String(options.userRateLimit ?? 1_000_000),
    EVENTS_READ_RATE_LIMIT: String(options.eventsReadRateLimit ?? 0),
    ...(options.eventsReadRateWindowMs
      ? { EVENTS_READ_RATE_WINDOW_MS: String(options.eventsReadRateWindowMs) }
      : {}),
    ...(options.userRateWindowMs ? { USER_RATE_WINDOW_MS: String(options.userRateWindowMs) } : {}),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.soldOutMemoMs === undefined ? {} : { SOLD_OUT_MEMO_MS: String(options.soldOutMemoMs) }),
    ...options.env,
  });
  const composed = await composeHttpApp(quietLogger, env);
  const adminToken = await tokenFor('admin-1', { admin: true });
  const request = (
    path: string,
    init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ) =>
    composed.app.request(path, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined
        ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
        : {}),
    });
  return {
    ...composed,
    redis: composed.redis as Redis,
    sqs,
    persistQueueUrl: persist?.QueueUrl as string,
    fanoutQueueUrl: fanout?.QueueUrl as string,
    adminToken,
    request,
    /** Creates an auction through the API and returns its view. */
    async createAuction(body: Record<string, unknown> = {}) {
      const response = await request('/auctions', {
        method: 'POST',
        token: adminToken,
        body: {
          title: 'Test lot',
          startingPrice: 1_000,
          minIncrement: 100,
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          ...body,
        },
      });
      const json = (await response.json()) as { auction: { id: string; seq: number } };
      if (response.status !== 201)
        throw new Error(`create auction failed: ${response.status} ${JSON.stringify(json)}`);
      return json.auction;
    },
    async close() {
      await composed.close();
      sqs.destroy();
    },
  };
}

export type HttpFixture = Awaited<ReturnType<typeof createHttpFixture>>;
