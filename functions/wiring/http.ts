import { NoProductArchive } from '../adapters/no-product-archive.js';
import type { RedisClient } from '../adapters/redis/client.js';
import { DEFAULT_AUCTION_STORE_LIMITS, RedisAuctionStore } from '../adapters/redis/redis-auction-store.js';
import { createRedisFromEnvironment } from '../adapters/redis/redis-from-environment.js';
import { RedisIdempotencyClaims } from '../adapters/redis/redis-idempotency-claims.js';
import { DEFAULT_PRODUCT_STORE_LIMITS, RedisProductStore } from '../adapters/redis/redis-product-store.js';
import { RedisReadLimiter } from '../adapters/redis/redis-read-limiter.js';
import { createSqsClient } from '../adapters/sqs/sqs-client.js';
import { SqsEventPublisher } from '../adapters/sqs/sqs-event-publisher.js';
import {
  createStepFunctionsClient,
  StepFunctionsCloseScheduler,
} from '../adapters/stepfunctions/step-functions-close-scheduler.js';
import { createUlidGenerator } from '../adapters/ulid-generator.js';
import type { TokenVerifier } from '../auth/auth.js';
import { createTokenVerifierFromEnvironment } from '../auth/token-verifier.js';
import { type Environment, required, resolveSecret } from '../config.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { LogSink } from '../ports/logger.js';
import type { NotificationReader } from '../ports/notifications.js';
import type { ReadLimiter } from '../ports/read-limiter.js';
import type { ReadModel } from '../ports/read-model.js';
import type { AuctionDeps } from '../use-cases/auctions/auction-use-cases.js';
import type { FlashSaleDeps } from '../use-cases/flash-sales/flash-sale-use-cases.js';
import { SoldOutMemo } from '../use-cases/flash-sales/sold-out-memo.js';
import { composeArchives } from './archives.js';

/** Resolves within `ms`, or with `false`: a health check must answer even when Redis hangs. */
async function within<T>(ms: number, work: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work.catch(() => fallback), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** At most one call per interval: a dead Redis reports every reconnect attempt. */
function throttled(intervalMs: number, report: (error: Error) => void): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < intervalMs) return;
    last = Date.now();
    report(error);
  };
}

/** The HTTP function's adapters, made once per cold start; http/compose.ts builds the app on them. */
export interface ComposedHttpAdapters {
  verifier: TokenVerifier;
  webhookSecret: string;
  redis: RedisClient;
  publisher: EventPublisher;
  eventReads: ReadLimiter;
  auctions: AuctionDeps;
  flashSales: FlashSaleDeps & { newId: () => string };
  readModel?: ReadModel;
  notifications?: NotificationReader;
  health: () => Promise<{ dependency: string; ok: boolean }[]>;
  close: () => Promise<void>;
}

export async function composeHttpAdapters(logger: LogSink, env: Environment): Promise<ComposedHttpAdapters> {
  const [verifier, webhookSecret, redis] = await Promise.all([
    createTokenVerifierFromEnvironment(env),
    resolveSecret(env, 'WEBHOOK_SECRET', 'WEBHOOK_SECRET_ARN'),
    createRedisFromEnvironment(
      env,
      throttled(5_000, (error) => logger.warn('redis connection error', { error: error.message })),
    ),
  ]);
  const sqs = createSqsClient(env);
  const publisher = new SqsEventPublisher(
    sqs,
    {
      persistQueueUrl: required(env, 'PERSIST_QUEUE_URL'),
      fanoutQueueUrl: required(env, 'FANOUT_QUEUE_URL'),
    },
    env.SQS_COALESCE_MS,
  );
  const archives = await composeArchives(env, sqs, redis, logger);
  const auctions = new RedisAuctionStore(redis, {
    ...DEFAULT_AUCTION_STORE_LIMITS,
    bidRateLimit: { max: env.BID_RATE_LIMIT, windowMs: env.BID_RATE_WINDOW_MS },
  });
  const products = new RedisProductStore(redis, {
    ...DEFAULT_PRODUCT_STORE_LIMITS,
    orderRateLimit: { max: env.ORDER_RATE_LIMIT, windowMs: env.ORDER_RATE_WINDOW_MS },
  });
  const claims = new RedisIdempotencyClaims(redis, {
    max: env.USER_RATE_LIMIT,
    windowMs: env.USER_RATE_WINDOW_MS,
  });
  const newId = createUlidGenerator();
  const stepFunctions = env.AUCTION_CLOSER_ARN
    ? createStepFunctionsClient({
        region: env.AWS_REGION,
        ...(env.STEPFUNCTIONS_ENDPOINT ? { endpoint: env.STEPFUNCTIONS_ENDPOINT } : {}),
      })
    : undefined;
  return {
    verifier,
    webhookSecret,
    redis,
    publisher,
    eventReads: new RedisReadLimiter(redis, {
      max: env.EVENTS_READ_RATE_LIMIT,
      windowMs: env.EVENTS_READ_RATE_WINDOW_MS,
    }),
    auctions: {
      auctions,
      publisher,
      claims,
      logger,
      newId,
      ...archives.auctions,
      ...(stepFunctions && env.AUCTION_CLOSER_ARN
        ? { closes: new StepFunctionsCloseScheduler(stepFunctions, env.AUCTION_CLOSER_ARN) }
        : {}),
    },
    // Without a database the archive knows no product: a product Redis lost reads as not found.
    flashSales: {
      products,
      archive: archives.products ?? new NoProductArchive(),
      publisher,
      claims,
      logger,
      newId,
      soldOut: new SoldOutMemo(env.SOLD_OUT_MEMO_MS),
    },
    ...(archives.readModel ? { readModel: archives.readModel } : {}),
    ...(archives.notifications ? { notifications: archives.notifications } : {}),
    health: async () => [
      {
        dependency: 'redis',
        ok: await within(
          500,
          redis.ping().then(() => true),
          false,
        ),
      },
    ],
    close: async () => {
      sqs.destroy();
      stepFunctions?.destroy();
      await archives.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
