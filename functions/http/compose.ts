import type { RedisClient } from '../adapters/redis/client.js';
import { broadcastFromEnvironment, type Environment, readEnvironment } from '../config.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { LogSink } from '../ports/logger.js';
import { composeHttpAdapters } from '../wiring/http.js';
import { createHttpApp, type HttpApp, type HttpAppDeps } from './app.js';

export interface ComposedHttpApp {
  app: HttpApp;
  redis: RedisClient;
  /** The SQS publisher the routes use (the benchmarks' floor route sends through it too). */
  publisher: EventPublisher;
  close: () => Promise<void>;
}

/** The composition root of the HTTP function: adapters (from wiring/) made once per cold start. */
export async function composeHttpApp(
  logger: LogSink,
  env: Environment = readEnvironment(),
  observe?: HttpAppDeps['observe'],
): Promise<ComposedHttpApp> {
  const adapters = await composeHttpAdapters(logger, env);
  const app = createHttpApp({
    verifier: adapters.verifier,
    eventReads: adapters.eventReads,
    webhookSecret: adapters.webhookSecret,
    logger,
    ...(observe ? { observe } : {}),
    auctions: adapters.auctions,
    flashSales: adapters.flashSales,
    ...(adapters.readModel ? { readModel: adapters.readModel } : {}),
    ...(adapters.notifications ? { notifications: adapters.notifications } : {}),
    // GET /realtime: where to watch (configuration only, no adapter).
    ...(env.PUBLIC_WS_URL
      ? { realtime: { websocketUrl: env.PUBLIC_WS_URL, broadcast: broadcastFromEnvironment(env) } }
      : {}),
    health: adapters.health,
  });
  return { app, redis: adapters.redis, publisher: adapters.publisher, close: adapters.close };
}
