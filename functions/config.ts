import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import {
  type BroadcastInfo,
  broadcastInfo,
  DEFAULT_BROADCAST_MIN_WATCHERS,
  MAX_EVENTS_PER_PUBLISH,
} from './realtime/broadcast.js';

/**
 * Configuration is read and validated once per cold start. A missing or malformed variable fails
 * the cold start with a message naming it, rather than failing requests later.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1');
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const environmentSchema = z.object({
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  REDIS_CLUSTER: booleanFlag,
  REDIS_AUTH_TOKEN: z.string().min(1).optional(),
  REDIS_AUTH_SECRET_ARN: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_SECRET_ARN: z.string().min(1).optional(),
  DATABASE_HOST: z.string().min(1).optional(),
  APP_DATABASE_SECRET_ARN: z.string().min(1).optional(),
  PERSIST_QUEUE_URL: z.string().url().optional(),
  FANOUT_QUEUE_URL: z.string().url().optional(),
  /** The persist queue's DLQ: the recovery fence waits for it to be empty too (http, sweeper). */
  PERSIST_DLQ_URL: z.string().url().optional(),
  /** Recovery fence: time after a loss before the persist queue's counts are trusted (ms). */
  RECOVERY_SETTLE_MS: z.coerce.number().int().min(0).default(60_000),
  SQS_ENDPOINT: z.string().url().optional(),
  /** The auction closer's state machine (issue 27): http starts one execution per auction. */
  AUCTION_CLOSER_ARN: z.string().min(1).optional(),
  /** Only locally: the Step Functions stand-in of the local runtime. */
  STEPFUNCTIONS_ENDPOINT: z.string().url().optional(),
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_SECRET_ARN: z.string().min(1).optional(),
  /** OIDC (API.md v1.2): tokens must carry exactly this `iss`; RS256/ES256 keys from its JWKS. */
  JWT_ISSUER: z.string().url().optional(),
  /** Default: JWT_ISSUER + `/.well-known/jwks.json`. */
  JWT_JWKS_URL: z.string().url().optional(),
  /** Must match `aud`, or `client_id` for tokens without `aud` (Cognito access tokens). */
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** The claim that makes an admin, and its value (a list claim grants it when it contains the value). */
  JWT_ADMIN_CLAIM: z.string().min(1).default('role'),
  JWT_ADMIN_VALUE: z.string().min(1).default('admin'),
  /** A JWKS fetch slower than this is an outage (503 for tokens of keys not cached). */
  JWT_JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(3_000),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
  WS_MANAGEMENT_ENDPOINT: z.string().url().optional(),
  /** Fan-out: PostToConnection calls in flight per invocation, and the hard timeout of each. */
  FANOUT_CONCURRENCY: positiveInt(200),
  FANOUT_POST_TIMEOUT_MS: positiveInt(3_000),
  /** Fan-out: receivers per wave part; a wave to more is split over invocations (needs FANOUT_QUEUE_URL). */
  FANOUT_PART_SIZE: positiveInt(1_000),
  BID_RATE_LIMIT: z.coerce.number().int().min(0).default(10),
  BID_RATE_WINDOW_MS: positiveInt(1_000),
  ORDER_RATE_LIMIT: z.coerce.number().int().min(0).default(10),
  ORDER_RATE_WINDOW_MS: positiveInt(1_000),
  /**
   * How long the HTTP function answers "sold out" from memory after Redis said so, 0 = never (issue
   * 17: the stampede after the last unit stays off the product's shard; docs/decisions/flash-sales.md "Sold out, remembered").
   */
  SOLD_OUT_MEMO_MS: z.coerce.number().int().min(0).max(5_000).default(500),
  /** Bids and reservations per user across all entities, counted before anything is written (see README). */
  USER_RATE_LIMIT: z.coerce.number().int().min(0).default(20),
  USER_RATE_WINDOW_MS: positiveInt(1_000),
  // Reads of /auctions/{id}/events per caller (source address without a token, else the user).
  EVENTS_READ_RATE_LIMIT: z.coerce.number().int().min(0).default(30),
  EVENTS_READ_RATE_WINDOW_MS: positiveInt(10_000),
  /** WebSocket: live connections per source address (0 = no cap), inbound messages per connection. */
  WS_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(100),
  WS_MESSAGE_RATE_LIMIT: z.coerce.number().int().min(0).default(60),
  WS_MESSAGE_RATE_WINDOW_MS: positiveInt(10_000),
  /** Local runtime only: how long SQS sends wait to fill a batch (a Lambda serves one request at a time). */
  SQS_COALESCE_MS: z.coerce.number().int().min(0).max(50).default(0),
  AWS_REGION: z.string().default('us-east-1'),
  /**
   * Broadcast tier (API.md v1.2), set by the stack (lib/constructs/broadcast-channels.ts): where
   * subscribers read the channels (real-time URL, the API's HTTP host they name in their
   * authorization, the API key) for the http, ws and fan-out functions; the HTTP publish endpoint
   * and its region for the fan-out only. Without the first three there is no broadcast tier
   * (`GET /realtime` answers `broadcast: null`, every topic is direct).
   */
  EVENTS_REALTIME_URL: z.string().url().optional(),
  EVENTS_HOST: z.string().min(1).optional(),
  EVENTS_API_KEY: z.string().min(1).optional(),
  EVENTS_HTTP_URL: z.string().url().optional(),
  EVENTS_REGION: z.string().min(1).optional(),
  /** The WebSocket API's public URL, for `GET /realtime`. */
  PUBLIC_WS_URL: z.string().url().optional(),
  /** A subscribe that would bring a topic's direct audience to this turns it broadcast; 0: never direct. */
  BROADCAST_MIN_WATCHERS: z.coerce.number().int().min(0).default(DEFAULT_BROADCAST_MIN_WATCHERS),
  /** Publishes per second per topic at most; updates within a window go out together after it. */
  BROADCAST_PUBLISH_RATE: z.coerce.number().min(0.1).max(100).default(10),
  /** States per publish, 1..5 (AppSync's limit); 1 publishes the newest only. */
  BROADCAST_EVENTS_PER_PUBLISH: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_EVENTS_PER_PUBLISH)
    .default(MAX_EVENTS_PER_PUBLISH),
});

export type Environment = z.infer<typeof environmentSchema>;

/** The `broadcast` object of this deployment's Events API, or null without one (EVENTS_*). */
export function broadcastFromEnvironment(env: Environment): BroadcastInfo | null {
  const host = env.EVENTS_HOST ?? (env.EVENTS_HTTP_URL ? new URL(env.EVENTS_HTTP_URL).host : undefined);
  if (!env.EVENTS_REALTIME_URL || !host || !env.EVENTS_API_KEY) return null;
  return broadcastInfo({ realtimeUrl: env.EVENTS_REALTIME_URL, host, apiKey: env.EVENTS_API_KEY });
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A variable that must be set for this function (each Lambda needs a different subset). */
export function required<K extends keyof Environment>(
  env: Environment,
  name: K,
): NonNullable<Environment[K]> {
  const value = env[name];
  if (value === undefined || value === null || value === '') {
    throw new ConfigurationError(`missing configuration: ${String(name)} must be set`);
  }
  return value as NonNullable<Environment[K]>;
}

let secretsClient: SecretsManagerClient | undefined;

/**
 * A secret given directly (local runtime, tests) or by the ARN of a Secrets Manager secret (AWS),
 * fetched once at cold start. JSON secrets generated by CDK keep the value under `field`. `direct`
 * is null for a secret that only ever comes from Secrets Manager.
 */
export async function resolveSecret(
  env: Environment,
  direct: keyof Environment | null,
  arnName: keyof Environment,
  field?: string,
): Promise<string> {
  const value = direct === null ? undefined : env[direct];
  if (typeof value === 'string' && value !== '') return value;
  const arn = env[arnName];
  if (typeof arn !== 'string' || arn === '') {
    throw new ConfigurationError(
      `missing configuration: ${direct === null ? '' : `${String(direct)} or `}${String(arnName)} must be set`,
    );
  }
  secretsClient ??= new SecretsManagerClient({ region: env.AWS_REGION });
  const result = await secretsClient.send(new GetSecretValueCommand({ SecretId: arn }));
  const secret = result.SecretString;
  if (!secret) throw new ConfigurationError(`secret ${arn} has no string value`);
  if (!field) return secret;
  const parsed = JSON.parse(secret) as Record<string, unknown>;
  const fieldValue = parsed[field];
  if (typeof fieldValue !== 'string') throw new ConfigurationError(`secret ${arn} has no field ${field}`);
  return fieldValue;
}
