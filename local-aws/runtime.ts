/**
 * The whole system on one machine: the real Lambda handlers (bundled like the CDK stack bundles
 * them) behind local stand-ins for API Gateway (HTTP API payload v2, WebSocket API + management
 * API), SQS + event source mappings, and the EventBridge schedule; Redis and PostgreSQL from the
 * environment or started privately. `local-aws/main.ts` (`npm run local`) is the command line around it.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { schedules } from '../lib/config/event-sources.js';
import { functionTimeoutsMs } from '../lib/config/functions.js';
import {
  buildFunctions,
  type FunctionName,
  LOCAL_BUILD_DIR,
  PROJECT_ROOT,
  stopBundler,
} from '../scripts/build-functions.js';
import { startEventsApiThread } from './events-api/events-api-host.js';
import type { EventsApi } from './events-api/index.js';
import { type AccountBudget, accountBudgetFromEnv } from './gateways/account-budget.js';
import { type HttpGateway, startHttpGateway } from './gateways/http/http-gateway.js';
import { LOCAL_CREDENTIALS } from './gateways/websocket/websocket-gateway.js';
import {
  startWebSocketGatewayThread,
  type WebSocketGatewayThread,
} from './gateways/websocket/websocket-gateway-host.js';
import { startLocalOidcIssuer } from './identity/oidc-issuer.js';
import { loadLocalSecrets } from './identity/secrets.js';
import {
  DEFAULT_INSTANCES,
  type FunctionSettings,
  instanceLimits,
  loadFunctions,
  type PooledFunction,
} from './lambda/functions.js';
import { type Schedule, startSchedule } from './schedules.js';
import { redactUrl, startPostgres } from './services/postgres.js';
import { startRedis } from './services/redis.js';
import { describeError, LocalRuntimeError, log } from './shared/log.js';
import { ensurePortFree, freePort } from './shared/ports.js';
import { type SqsEventSourceMapping as Mapping, SqsEventSourceMapping } from './sqs/event-source-mapping.js';
import { queueDepth, startSqs } from './sqs/sqs-server.js';
import { type CloserStats, startLocalAuctionCloser } from './stepfunctions/auction-closer.js';

export interface LocalRuntimeOptions {
  host: string;
  /** 0 picks a free port. */
  httpPort: number;
  wsPort: number;
  /**
   * The AppSync Events stand-in (API.md v1.2, broadcast channels), on its own thread: its port (0 or
   * absent picks a free one), or `false` for none. Ignored when EVENTS_HTTP_URL and
   * EVENTS_REALTIME_URL name an Events API already running (the functions then use that one).
   */
  eventsPort?: number | false | undefined;
  /**
   * How much lower than the rest of the runtime the Events API's thread runs (nice increment, Linux;
   * LOCAL_EVENTS_NICE, default 5, 0 = the same): writing a crowd's sockets is AppSync's fleet's work
   * on AWS, so here it gives way to the threads that decide bids.
   */
  eventsNice?: number | undefined;
  redisUrl?: string | undefined;
  databaseUrl?: string | undefined;
  /** An SQS endpoint to use (LocalStack) instead of the in-process local-aws-sqs server. */
  sqsEndpoint?: string | undefined;
  dataDir: string;
  region: string;
  stage: string;
  /** Milliseconds between sweeper runs. */
  sweeperIntervalMs: number;
}

export interface LocalRuntimeUrls {
  http: string;
  ws: string;
  /** The Events API's HTTP origin (`POST /event`; `/event/realtime` for subscribers), if any. */
  events?: string;
  management: string;
  sqs: string;
  redis: string;
  postgres: string;
}

export interface LocalRuntime {
  urls: LocalRuntimeUrls;
  jwtSecret: string;
  /**
   * A user token from the local OIDC issuer (ES256, checked against its JWKS as production checks
   * Cognito's), absent with LOCAL_OIDC=0: the demo's sign-in uses it.
   */
  issueUserToken?: ((user: string, options?: { admin?: boolean }) => Promise<string>) | undefined;
  /** Stops everything in order (HTTP, schedules, queue drain, WebSocket, SQS, Redis, PostgreSQL) and returns the summary lines. */
  stop: () => Promise<string[]>;
}

/**
 * The local Events API's subscribe key (EVENTS_API_KEY to choose another): public by design, as on
 * AWS, where GET /realtime hands it to every watcher (docs/realtime.md).
 */
const LOCAL_EVENTS_API_KEY = 'da2-local-live-sale-watchers';
const DEFAULT_EVENTS_NICE = 5;

/** The handlers that run locally; `migrate` is replaced by calling the migration runner directly. */
const LOCAL_FUNCTIONS: FunctionName[] = ['http', 'ws', 'writer', 'fanout', 'sweeper'];

/**
 * Timeouts (lib/config/functions.ts, the module the CDK stacks read) and memory sizes of
 * lib/stacks/api-stack.ts, enforced locally as Lambda does: an invocation past its timeout fails
 * and its instance is replaced.
 */
const FUNCTION_LIMITS: Record<FunctionName, Omit<FunctionSettings, 'maxInstances'>> = {
  http: { timeoutMs: functionTimeoutsMs.http, memoryMb: 1024 },
  ws: { timeoutMs: functionTimeoutsMs.ws, memoryMb: 512 },
  writer: { timeoutMs: functionTimeoutsMs.writer, memoryMb: 512 },
  fanout: { timeoutMs: functionTimeoutsMs.fanout, memoryMb: 1024 },
  sweeper: { timeoutMs: functionTimeoutsMs.sweeper, memoryMb: 512 },
  migrate: { timeoutMs: functionTimeoutsMs.migrate, memoryMb: 256 },
};

const percentileOf = (values: readonly number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

/** One summary line per function, like the figures of Lambda's REPORT lines, summed up. */
function functionSummary(fn: PooledFunction): string {
  const s = fn.stats;
  const init = s.initMs.length > 0 ? `, init p50 ${percentileOf(s.initMs, 50)} ms` : '';
  const timeouts = s.timeouts > 0 ? `, ${s.timeouts} timed out` : '';
  return `${fn.name}: ${s.invocations} invocation(s), ${s.errors} error(s)${timeouts}; ${s.coldStarts} cold start(s)${init}; duration p50 ${percentileOf(s.durationsMs, 50).toFixed(1)} ms, p99 ${percentileOf(s.durationsMs, 99).toFixed(1)} ms; max heap ${Math.round(s.maxHeapUsedMb)} MB`;
}

interface MigrationRunner {
  createPostgresClient: (options: { url: string; max?: number; name?: string }) => {
    end: (options?: { timeout?: number }) => Promise<void>;
  };
  migrate: (sql: unknown) => Promise<{ applied: string[]; alreadyApplied: string[] }>;
}

/** The persistence adapter's migration runner (functions/adapters/postgres), applied at start. */
async function applyMigrations(databaseUrl: string): Promise<string> {
  // Variable specifiers: the runner is optional for this file's type check and import.
  const clientModule = '../functions/adapters/postgres/client.js';
  const migrationsModule = '../functions/adapters/postgres/migrations.js';
  let runner: MigrationRunner;
  try {
    const [client, migrations] = await Promise.all([import(clientModule), import(migrationsModule)]);
    runner = { createPostgresClient: client.createPostgresClient, migrate: migrations.migrate };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      return 'skipped: functions/adapters/postgres/migrations.ts is not in this checkout';
    }
    throw error;
  }
  const sql = runner.createPostgresClient({ url: databaseUrl, max: 1, name: 'live-sale-local-migrate' });
  try {
    const report = await runner.migrate(sql);
    return report.applied.length > 0
      ? `applied ${report.applied.join(', ')} (${report.alreadyApplied.length} already applied)`
      : `up to date (${report.alreadyApplied.length} migration(s) applied before)`;
  } catch (error) {
    throw new LocalRuntimeError(`migrations failed: ${describeError(error)}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Each runtime bundles into its own `.local-build/runtime-<pid>/`, so that two runs in one work
 * tree (a dev server and the end-to-end test) never import each other's half-written bundles.
 * Folders of runs that are gone are removed.
 */
function runtimeBuildDir(): string {
  try {
    for (const entry of readdirSync(LOCAL_BUILD_DIR)) {
      const pid = Number(/^runtime-(\d+)$/.exec(entry)?.[1]);
      if (!pid || pid === process.pid) continue;
      try {
        process.kill(pid, 0);
      } catch {
        rmSync(join(LOCAL_BUILD_DIR, entry), { recursive: true, force: true });
      }
    }
  } catch {
    // no .local-build yet
  }
  return join(LOCAL_BUILD_DIR, `runtime-${process.pid}`);
}

/** A stop function that runs once, however often it is called. */
function once(stop: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= stop();
    return running;
  };
}

function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  return work.then((value) => [value, Math.round(performance.now() - started)]);
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const startedAt = Date.now();
  const cleanups: { name: string; run: () => Promise<void> }[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      await step.run().catch((error) => log.warn('shutdown', `${step.name}: ${describeError(error)}`));
    }
  };

  try {
    process.setSourceMapsEnabled(true);
    await ensurePortFree(options.httpPort, options.host, 'HTTP_PORT');
    await ensurePortFree(options.wsPort, options.host, 'WS_PORT');
    await ensurePortFree(options.eventsPort || 0, options.host, 'EVENTS_PORT');
    // The management endpoint is part of the handlers' environment: the port is fixed before they load.
    const httpPort = options.httpPort || (await freePort());
    const wsPort = options.wsPort || (await freePort());
    const eventsPort = options.eventsPort === false ? false : options.eventsPort || (await freePort());
    // The account's one API Gateway budget (HTTP API, WebSocket API, management API), as on AWS.
    let accountBudget: AccountBudget;
    try {
      accountBudget = accountBudgetFromEnv();
    } catch (error) {
      throw new LocalRuntimeError(describeError(error));
    }

    const secrets = loadLocalSecrets(options.dataDir);
    for (const [name, source] of Object.entries(secrets.sources)) {
      log.info(
        'secrets',
        source === 'environment'
          ? `${name} from the environment`
          : `${name} ${source === 'generated' ? 'generated into' : 'read from'} ${relative(PROJECT_ROOT, secrets.file)} (set ${name} to use your own)`,
      );
    }

    const prefix = `live-sale-${options.stage}`;
    // Started side by side; whatever did start is stopped again if another part fails.
    const redisStart = timed(
      startRedis(options.redisUrl, options.dataDir, (message) => log.info('redis', message)),
    );
    const databaseStart = timed(
      startPostgres(options.databaseUrl, options.dataDir, (message) => log.info('postgres', message)),
    );
    const sqsStart = timed(startSqs({ endpoint: options.sqsEndpoint, region: options.region, prefix }));
    const buildDir = runtimeBuildDir();
    cleanups.push({ name: 'build', run: async () => rmSync(buildDir, { recursive: true, force: true }) });
    const buildStart = timed(buildFunctions(LOCAL_FUNCTIONS, buildDir).finally(stopBundler));
    const register = <T extends { stop: () => Promise<void> }>(name: string, start: Promise<[T, number]>) =>
      start.then((result) => {
        cleanups.push({ name, run: result[0].stop });
        return result;
      });
    const settled = await Promise.allSettled([
      register('redis', redisStart),
      register('postgres', databaseStart),
      register('sqs', sqsStart),
      buildStart,
    ]);
    const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
    const [redis, redisMs] = await redisStart;
    const [database, databaseMs] = await databaseStart;
    const [sqs, sqsMs] = await sqsStart;
    const [build, buildMs] = await buildStart;
    log.info('redis', `${redis.url} - ${redis.description}`, { ms: redisMs });
    log.info('postgres', `${redactUrl(database.url)} - ${database.description}`, { ms: databaseMs });
    log.info(
      'sqs',
      `${sqs.endpoint} - ${sqs.description}; queues ${Object.values(sqs.queues)
        .map((queue) => `${queue.name} (DLQ after ${queue.settings.maxReceiveCount} receives)`)
        .join(', ')}`,
      { ms: sqsMs },
    );
    log.info(
      'build',
      `bundled ${build.built.map((fn) => fn.name).join(', ')} into ${relative(PROJECT_ROOT, buildDir)}/ with the CDK bundling options`,
      { ms: buildMs },
    );
    for (const name of build.missing)
      log.warn('build', `functions/${name}/lambda.ts does not exist yet: ${name} is not served`);

    const [migration, migrationMs] = await timed(applyMigrations(database.url));
    log.info('migrate', migration, { ms: migrationMs });

    const connectHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    const managementEndpoint = `http://${connectHost}:${wsPort}`;
    // --- issue 26: the broadcast channels' AppSync Events API, on its own thread ---------------
    const external = process.env.EVENTS_HTTP_URL && process.env.EVENTS_REALTIME_URL;
    let eventsEnv: Record<string, string> = {};
    let eventsOrigin: string | undefined;
    let events: (EventsApi & { threadId: number | undefined }) | undefined;
    if (external) {
      eventsOrigin = new URL(process.env.EVENTS_HTTP_URL as string).origin;
      log.info('events', `the functions publish to ${process.env.EVENTS_HTTP_URL} (EVENTS_HTTP_URL)`);
    } else if (eventsPort !== false) {
      const apiKey = process.env.EVENTS_API_KEY || LOCAL_EVENTS_API_KEY;
      const [started, eventsMs] = await timed(
        startEventsApiThread(
          {
            port: eventsPort,
            host: options.host,
            apiKey,
            region: options.region,
            credentials: LOCAL_CREDENTIALS,
          },
          options.eventsNice ?? DEFAULT_EVENTS_NICE,
        ).catch((error: NodeJS.ErrnoException) => {
          throw new LocalRuntimeError(
            error.code === 'EADDRINUSE'
              ? `port ${eventsPort} is already in use (EVENTS_PORT): start with EVENTS_PORT=<another port>`
              : `the Events API could not start: ${error.message}`,
          );
        }),
      );
      events = started;
      cleanups.push({ name: 'events', run: started.stop });
      const authority = `${connectHost}:${eventsPort}`;
      eventsOrigin = `http://${authority}`;
      // As the CDK app sets them (lib/constructs/broadcast-channels.ts).
      eventsEnv = {
        EVENTS_HTTP_URL: `${eventsOrigin}/event`,
        EVENTS_REALTIME_URL: `ws://${authority}/event/realtime`,
        EVENTS_HOST: authority,
        EVENTS_API_KEY: apiKey,
        EVENTS_REGION: options.region,
      };
      log.info(
        'events',
        `${eventsEnv.EVENTS_HTTP_URL} (publish: SigV4 with the local credentials, the fan-out only) and ${eventsEnv.EVENTS_REALTIME_URL} (subscribe: x-api-key ${apiKey}) - AppSync Events, namespace live, on its own thread`,
        { ms: eventsMs },
      );
    }
    // --- end issue 26 ---
    // --- issue 30: local OIDC issuer (LOCAL_OIDC=0 turns it off): ES256 sign-in as in production ---
    const localOidc = process.env.LOCAL_OIDC === '0' ? undefined : await startLocalOidcIssuer();
    if (localOidc) {
      cleanups.push({ name: 'oidc issuer', run: localOidc.close });
      log.info(
        'oidc',
        `issuer ${localOidc.issuer}: POST ${localOidc.issuer}/token {"user":"alice","admin":true}`,
      );
    }
    // --- end issue 30 ---

    // --- issue 27: the auction closer (Step Functions on AWS), closing each auction at its end ---
    const closer = await startLocalAuctionCloser({
      host: connectHost,
      region: options.region,
      name: `${prefix}-auction-closer`,
      onClose: (auctionId, delayMs) =>
        log.info(
          'closer',
          `auction ${auctionId} closed ${delayMs} ms after its wait ended (endsAt rounded up to the second)`,
        ),
    });
    cleanups.push({ name: 'auction closer', run: closer.close });

    const env: Record<string, string> = {
      AWS_REGION: options.region,
      AWS_DEFAULT_REGION: options.region,
      // Nothing here talks to AWS: every client points at a local endpoint. The management API
      // checks SigV4 signatures made with these, as API Gateway checks the function role's.
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      REDIS_URL: redis.url,
      REDIS_CLUSTER: process.env.REDIS_CLUSTER ?? 'false',
      DATABASE_URL: database.url,
      PERSIST_QUEUE_URL: sqs.queues.persist.url,
      FANOUT_QUEUE_URL: sqs.queues.fanout.url,
      SQS_ENDPOINT: sqs.endpoint,
      JWT_SECRET: secrets.values.JWT_SECRET,
      WEBHOOK_SECRET: secrets.values.WEBHOOK_SECRET,
      WS_MANAGEMENT_ENDPOINT: managementEndpoint,
      AUCTION_CLOSER_ARN: closer.stateMachineArn,
      STEPFUNCTIONS_ENDPOINT: closer.endpoint,
      PUBLIC_WS_URL: `ws://${connectHost}:${wsPort}`,
      ...eventsEnv, // issue 26
      ...localOidc?.environment, // issue 30 (the issuer above; JWT_SECRET stays for HS256 tools)
      POWERTOOLS_METRICS_NAMESPACE: 'LiveSale',
      // EMF metrics would print a JSON document per invocation; POWERTOOLS_METRICS_DISABLED=false shows them.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO',
    };
    // Each function gets its own copy of the environment (a worker thread's process.env).
    const functionEnv: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env))
      if (value !== undefined) functionEnv[name] = value;
    delete functionEnv.AWS_PROFILE;
    Object.assign(functionEnv, env);

    const limits = instanceLimits(DEFAULT_INSTANCES());
    const [functions, loadMs] = await timed(
      loadFunctions(build.built, {
        prefix,
        region: options.region,
        env: functionEnv,
        settings: (name) => ({ ...FUNCTION_LIMITS[name], maxInstances: limits[name] }),
      }),
    );
    cleanups.push({
      name: 'functions',
      run: async () => {
        await Promise.all([...functions.values()].map((f) => f.stop()));
      },
    });
    log.info(
      'lambda',
      `instances: ${[...functions.values()].map((f) => `${f.name} up to ${limits[f.name as FunctionName]} (cold start ${f.stats.initMs[0] ?? '?'} ms)`).join(', ')}; one invocation per instance, each on its own thread (LOCAL_INSTANCES to change)`,
      { ms: loadMs },
    );

    const fn = (name: FunctionName): PooledFunction | undefined => functions.get(name);

    let http: HttpGateway | undefined;
    let stopHttp: () => Promise<void> = async () => undefined;
    const httpFn = fn('http');
    if (httpFn) {
      http = await startHttpGateway(httpFn, httpPort, options.host, { accountBudget }).catch(
        (error: NodeJS.ErrnoException) => {
          throw new LocalRuntimeError(
            error.code === 'EADDRINUSE'
              ? `port ${httpPort} is already in use (HTTP_PORT): start with HTTP_PORT=<another port>`
              : `the HTTP server could not start: ${error.message}`,
          );
        },
      );
      const gateway = http;
      stopHttp = once(() => gateway.stop());
      cleanups.push({ name: 'http', run: stopHttp });
      log.info(
        'http',
        `http://${connectHost}:${httpPort} -> http function (API Gateway HTTP API, payload 2.0, route $default)`,
      );
    }

    const wsStats = { connects: 0, messages: 0, disconnects: 0 };
    const wsInFlight = new Set<Promise<unknown>>();
    let ws: WebSocketGatewayThread | undefined;
    let closeWs: () => Promise<void> = async () => undefined;
    const wsFn = fn('ws');
    if (wsFn) {
      ws = await startWebSocketGatewayThread({
        port: wsPort,
        host: options.host,
        stage: options.stage,
        region: options.region,
        ...managementLimits(),
        accountBudget: accountBudget.share(),
        handler: (event) => {
          const type = event.requestContext.eventType;
          if (type === 'CONNECT') wsStats.connects++;
          else if (type === 'DISCONNECT') wsStats.disconnects++;
          else wsStats.messages++;
          const invocation = wsFn.invoke(event);
          wsInFlight.add(invocation);
          const forget = () => wsInFlight.delete(invocation);
          invocation.then(forget, forget);
          return invocation;
        },
        onError: (message, error) => log.error('ws', `${message}: ${error}`),
      }).catch((error: NodeJS.ErrnoException) => {
        throw new LocalRuntimeError(
          error.code === 'EADDRINUSE'
            ? `port ${wsPort} is already in use (WS_PORT): start with WS_PORT=<another port>`
            : `the WebSocket gateway could not start: ${error.message}`,
        );
      });
      const gateway = ws;
      closeWs = once(() => gateway.close());
      cleanups.push({ name: 'ws', run: closeWs });
      log.info(
        'ws',
        `ws://${connectHost}:${wsPort} -> ws function ($connect, $disconnect, $default); management API ${managementEndpoint}/@connections/{id} (SigV4 checked; ${managementLimits().connectRate.perSecond} new connections/s), on its own thread`,
      );
    }

    // For benchmarks: which OS threads are which function, so they can read each one's CPU time.
    const threadsFile = process.env.LOCAL_THREADS_FILE;
    if (threadsFile) {
      const gatewayThread = ws?.threadId;
      const writeThreads = () => {
        const threads: Record<string, number[]> = { main: [process.pid] };
        if (gatewayThread) threads['ws-gateway'] = [gatewayThread];
        if (events?.threadId) threads['events-api'] = [events.threadId];
        for (const f of functions.values()) threads[f.name] = f.threadIds();
        writeFileSync(threadsFile, JSON.stringify({ pid: process.pid, threads }));
      };
      writeThreads();
      const timer = setInterval(writeThreads, 500);
      timer.unref();
      cleanups.push({ name: 'threads file', run: async () => clearInterval(timer) });
    }

    const mappings: Mapping[] = [];
    for (const queue of Object.values(sqs.queues)) {
      const consumer = fn(queue.settings.consumer);
      if (!consumer) {
        log.warn(
          'poller',
          `${queue.name}: no ${queue.settings.consumer} function, messages stay in the queue`,
        );
        continue;
      }
      const mapping = new SqsEventSourceMapping(sqs.client, queue, consumer, options.region);
      mapping.start();
      mappings.push(mapping);
      const s = queue.settings;
      log.info(
        'poller',
        `${queue.name} -> ${consumer.name} function (batch ${s.batchSize}, window ${s.maxBatchingWindowMs} ms, concurrency ${s.maxConcurrency}, visibility ${s.visibilityTimeoutSeconds} s, partial batch responses)`,
      );
    }

    const scheduled: Schedule[] = [];
    const sweeper = fn('sweeper');
    if (sweeper) {
      closer.setTarget(sweeper);
      log.info(
        'closer',
        `auction closer ${closer.endpoint}: each auction closed at its endsAt (the sweeper stays the safety net)`,
      );
      scheduled.push(startSchedule(sweeper, `${prefix}-sweeper`, options.sweeperIntervalMs, options.region));
      log.info(
        'schedule',
        `sweeper every ${options.sweeperIntervalMs} ms (every ${schedules.sweeper.awsRateMinutes} min on AWS)`,
      );
    }

    const urls: LocalRuntimeUrls = {
      http: http ? `http://${connectHost}:${httpPort}` : '(no http function)',
      ws: ws ? `ws://${connectHost}:${wsPort}` : '(no ws function)',
      ...(eventsOrigin ? { events: eventsOrigin } : {}),
      management: ws ? `${managementEndpoint}/@connections` : '(no ws function)',
      sqs: sqs.endpoint,
      redis: redis.url,
      postgres: redactUrl(database.url),
    };

    let stopping: Promise<string[]> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // No new work: HTTP first, then the schedule; the queues drain into the writer and fan-out.
        await stopHttp();
        await Promise.all(scheduled.map((schedule) => schedule.stop()));
        const drainStarted = Date.now();
        await Promise.all(mappings.map((mapping) => mapping.stop(5_000)));
        log.info('shutdown', `queues drained`, { ms: Date.now() - drainStarted });
        const wsCounters = ws ? await ws.stats() : undefined;
        // Clients are disconnected while Redis is still up, so the ws function's $disconnect can clean up.
        await closeWs();
        await Promise.race([
          Promise.allSettled([...wsInFlight]),
          new Promise((done) => setTimeout(done, 3_000)),
        ]);
        const dlq = await Promise.all(
          Object.values(sqs.queues).map(async (queue) => {
            const [main, dead] = await Promise.all([
              queueDepth(sqs.client, queue.url).catch(() => ({ visible: Number.NaN, inFlight: Number.NaN })),
              queueDepth(sqs.client, queue.dlqUrl).catch(() => ({
                visible: Number.NaN,
                inFlight: Number.NaN,
              })),
            ]);
            return { queue, left: main.visible + main.inFlight, dead: dead.visible + dead.inFlight };
          }),
        );
        const seconds = Math.round((Date.now() - startedAt) / 1000);
        const lines = [`up ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`];
        if (http) {
          const byStatus = Object.entries(http.stats.byStatus)
            .sort()
            .map(([status, count]) => `${status} ${count}`)
            .join(', ');
          lines.push(`http: ${http.stats.requests} request(s)${byStatus ? ` (${byStatus})` : ''}`);
        }
        if (ws) {
          lines.push(
            `ws: ${wsStats.connects} $connect, ${wsStats.messages} message(s), ${wsStats.disconnects} $disconnect`,
          );
          if (wsCounters) {
            const m = wsCounters.management;
            lines.push(
              `management API: ${m.posts} post(s), ${m.delivered} delivered, ${m.gone} gone, ${m.throttled} throttled (429), ${m.forbidden} refused (403); ${m.connectsThrottled} connection(s) and ${m.messagesThrottled} message(s) throttled`,
            );
          }
        }
        const budget = accountBudget.stats();
        const uses = (counts: Record<string, number>) =>
          Object.entries(counts)
            .map(([use, count]) => `${use} ${count}`)
            .join(', ');
        lines.push(
          `account budget (${accountBudget.options.ratePerSecond || 'unlimited'}/s, burst ${accountBudget.options.burst}): taken ${uses(budget.taken)}; throttled ${uses(budget.throttled)}`,
        );
        if (events) {
          const e = events.stats();
          lines.push(
            `events: ${e.publishes} publish(es) of ${e.events} event(s), ${e.deliveries} delivered in ${e.writes} socket write(s), ${e.dropped} dropped (slow readers), ${e.unauthorized} unauthorized, ${e.badRequests} refused; ${e.connections} connection(s), ${e.subscriptions} subscription(s) at the end`,
          );
        }
        for (const mapping of mappings) {
          const queue = dlq.find((entry) => entry.queue.arn === mapping.queue.arn);
          const s = mapping.stats;
          lines.push(
            `${queue?.queue.name ?? 'queue'}: ${s.received} message(s) in ${s.batches} batch(es), ${s.deleted} processed, ${s.failed} failed (retried)${queue ? `, ${queue.left} left in the queue, ${queue.dead} in the DLQ` : ''}`,
          );
        }
        for (const schedule of scheduled) {
          lines.push(`sweeper: ${schedule.stats.runs} run(s), ${schedule.stats.failures} failed`);
        }
        lines.push(closerSummary(closer.stats));
        for (const f of functions.values()) lines.push(`function ${functionSummary(f)}`);
        await cleanup();
        return lines;
      })();
      return stopping;
    };

    return {
      urls,
      jwtSecret: secrets.values.JWT_SECRET,
      issueUserToken: localOidc ? (user, options) => localOidc.issueToken(user, options) : undefined,
      stop,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * API Gateway's quota of new connections (LOCAL_CONNECT_RPS). The management API takes from the
 * account budget (LOCAL_ACCOUNT_RPS / LOCAL_ACCOUNT_BURST); `managementRate` is what the gateway
 * would use alone.
 */
function managementLimits() {
  const positive = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0)
      throw new LocalRuntimeError(`${name} must be a positive number`);
    return value;
  };
  const connects = positive('LOCAL_CONNECT_RPS', 500);
  return {
    connectRate: { perSecond: connects, burst: connects },
  };
}

/** The closer's line in the stop summary: closes and their delay from endsAt. */
function closerSummary(stats: CloserStats): string {
  const delays = [...stats.delaysMs].sort((a, b) => a - b);
  const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
  return `auction closer: ${stats.executions} execution(s), ${stats.closes} closed at their end${
    delays.length > 0
      ? ` (after the wait, endsAt rounded up to the second: p50 ${at(0.5)} ms, max ${delays.at(-1)} ms)`
      : ''
  }, ${stats.waitsAgain} extended, ${stats.failures} left to the sweeper`;
}
