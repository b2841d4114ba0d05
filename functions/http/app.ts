import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { NoNotifications, NoReadModel } from '../adapters/no-read-model.js';
import { hs256Verifier, type TokenVerifier } from '../auth/auth.js';
import type { LogSink } from '../ports/logger.js';
import type { NotificationReader } from '../ports/notifications.js';
import type { ReadLimiter } from '../ports/read-limiter.js';
import type { ReadModel } from '../ports/read-model.js';
import type { AuctionDeps } from '../use-cases/auctions/auction-use-cases.js';
import type { FlashSaleDeps } from '../use-cases/flash-sales/flash-sale-use-cases.js';
import { errorBody, mapError } from './errors.js';
import { auctionRoutes } from './routes/auctions.js';
import { docsRoutes } from './routes/docs.js';
import { type HealthCheck, healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { orderRoutes } from './routes/orders.js';
import { paymentRoutes } from './routes/payments.js';
import { productRoutes } from './routes/products.js';
import { type RealtimeEndpoints, realtimeRoutes } from './routes/realtime.js';

export const MAX_BODY_BYTES = 16 * 1024;

export interface HttpAppDeps {
  auctions: AuctionDeps;
  flashSales: FlashSaleDeps & { newId: () => string };
  /** HMAC secret of the payment provider's webhook signatures. */
  webhookSecret: string;
  health: HealthCheck;
  /** The PostgreSQL read model of the listings; without it they answer 503 (no database). */
  readModel?: ReadModel;
  /** The notifications' list (PostgreSQL); without it GET /me/notifications answers 503. */
  notifications?: NotificationReader;
  /** The token verifier (token-verifier.ts); or, for tests and tools, just the HS256 secret. */
  verifier?: TokenVerifier;
  jwtSecret?: string;
  logger: LogSink;
  /** Reads of an auction's event log per caller; absent: unlimited. */
  eventReads?: ReadLimiter;
  /** Where to watch (`GET /realtime`); absent: it answers 404 realtime_not_configured. */
  realtime?: RealtimeEndpoints;
  /** Called once per request with its outcome, for metrics. */
  observe?: (request: { method: string; route: string; status: number; durationMs: number }) => void;
}

/** The HTTP API of API.md. Handlers only translate; rules live in the use cases and the scripts. */
export function createHttpApp(deps: HttpAppDeps) {
  const app = new Hono();
  const observe = deps.observe;
  if (observe) {
    app.use('*', async (c, next) => {
      const started = performance.now();
      await next();
      observe({
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        durationMs: performance.now() - started,
      });
    });
  }
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(errorBody('payload_too_large', `the body must be at most ${MAX_BODY_BYTES} bytes`), 413),
    }),
  );
  const verifier =
    deps.verifier ?? (deps.jwtSecret === undefined ? undefined : hs256Verifier(deps.jwtSecret));
  if (!verifier) throw new Error('createHttpApp needs a verifier or a jwtSecret');
  app.route('/health', healthRoutes(deps.health));
  app.route('/realtime', realtimeRoutes(deps.realtime));
  const browse = { readModel: deps.readModel ?? new NoReadModel() };
  app.route('/auctions', auctionRoutes(deps.auctions, verifier, browse, deps.eventReads));
  app.route('/products', productRoutes(deps.flashSales, verifier, browse));
  app.route(
    '/me',
    meRoutes(browse, verifier, { notifications: deps.notifications ?? new NoNotifications() }),
  );
  app.route('/', docsRoutes());
  app.route('/orders', orderRoutes(deps.flashSales, verifier));
  app.route('/payments', paymentRoutes(deps.flashSales, deps.webhookSecret));
  app.notFound((c) =>
    c.json(errorBody('route_not_found', `no route for ${c.req.method} ${c.req.path}`), 404),
  );
  app.onError((error, c) => mapError(error, c, deps.logger));
  return app;
}

export type HttpApp = ReturnType<typeof createHttpApp>;
