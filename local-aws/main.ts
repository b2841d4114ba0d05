/**
 * `npm run local`: the whole system on this machine, the real Lambda handlers behind local
 * stand-ins for API Gateway, SQS, EventBridge; see docs/local-runtime.md.
 *
 * Flags: `--seed` creates demo data once ready (same as `npm run seed`); `--allow-remote` lets
 * LOCAL_HOST be an address beyond loopback (refused otherwise: local-aws/shared/bind-host.ts).
 * Environment: HTTP_PORT (3000), WS_PORT (3001), DEMO_PORT (3002, the demo app), EVENTS_PORT (3003,
 * the AppSync Events API of the broadcast channels; LOCAL_EVENTS=0 for none; LOCAL_EVENTS_NICE, its
 * thread's nice increment, 5), LOCAL_ACCOUNT_RPS /
 * LOCAL_ACCOUNT_BURST (the account's API Gateway budget, 10000 / 5000), EVENTS_API_KEY, LOCAL_HOST
 * (127.0.0.1), LOCAL_ALLOW_REMOTE, LOCAL_PUBLIC_HOSTS, REDIS_URL, DATABASE_URL, SQS_ENDPOINT / AWS_ENDPOINT_URL (LocalStack), LOCAL_DATA_DIR
 * (.local-data), SWEEPER_INTERVAL_MS, LOCAL_LOG_FORMAT=json; JWT_SECRET / WEBHOOK_SECRET (generated
 * when unset).
 */
import { isAbsolute, join } from 'node:path';
import { type DemoServer, startDemoServer } from '../demo/server/demo-server.js';
import { schedules } from '../lib/config/event-sources.js';
import { PROJECT_ROOT } from '../scripts/build-functions.js';
import { type LocalRuntime, startLocalRuntime } from './runtime.js';
import { refuseBindHost } from './shared/bind-host.js';
import { describeError, LocalRuntimeError, log } from './shared/log.js';
import { ensurePortFree, portFromEnv } from './shared/ports.js';
import { profileThisThread } from './threads/thread-profiler.js';

profileThisThread('runtime-main');

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run local [-- --seed] [-- --allow-remote]

Starts the HTTP API (HTTP_PORT, default 3000), the WebSocket API and its management API (WS_PORT,
default 3001), the demo web app (DEMO_PORT, default 3002), the AppSync Events API of the broadcast
channels (EVENTS_PORT, default 3003), SQS with the writer/fan-out pollers,
the sweeper schedule, Redis and PostgreSQL.
--allow-remote (or LOCAL_ALLOW_REMOTE=true) lets LOCAL_HOST be an address beyond loopback.
See docs/local-runtime.md for the environment variables.`);
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--seed' && arg !== '--allow-remote');
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(' ')} (see --help)`);
  process.exit(2);
}

const env = process.env;
// The SDK warns that its 2027 releases need Node 22 (the Lambda runtime); not news for a local run.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dataDir = env.LOCAL_DATA_DIR
  ? isAbsolute(env.LOCAL_DATA_DIR)
    ? env.LOCAL_DATA_DIR
    : join(process.cwd(), env.LOCAL_DATA_DIR)
  : join(PROJECT_ROOT, '.local-data');

let runtime: LocalRuntime | undefined;
let demo: DemoServer | undefined;
let firstSignalAt = 0;

/**
 * Ctrl-C signals the whole process group, and npm forwards the signal to its child as well, so one
 * keypress can arrive twice: repeats within 2 s are the same request; a later one forces the exit.
 */
async function shutdown(signal: string): Promise<void> {
  if (firstSignalAt > 0) {
    if (Date.now() - firstSignalAt < 2_000) return;
    log.warn('shutdown', `${signal} again: exiting now`);
    process.exit(1);
  }
  firstSignalAt = Date.now();
  if (!runtime) {
    // Still starting: the exit hook stops the child servers that did start.
    log.info('shutdown', `${signal} during start-up: exiting`);
    process.exit(130);
  }
  log.info('shutdown', `${signal}: stopping (another signal after 2 s forces it)`);
  await demo?.stop();
  const lines = await runtime.stop();
  for (const line of lines) log.info('summary', line);
  log.info('shutdown', 'stopped');
  process.exit(0);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));
// A handler's stray promise must not take the other functions down; Lambda would recycle that instance.
process.on('unhandledRejection', (reason) => {
  log.error(
    'lambda',
    `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
  );
});

const host = env.LOCAL_HOST || '127.0.0.1';
const refusal = refuseBindHost(host, args.includes('--allow-remote') || env.LOCAL_ALLOW_REMOTE === 'true');
if (refusal) {
  log.error('error', refusal);
  process.exit(2);
}
try {
  const demoPort = portFromEnv('DEMO_PORT', 3002);
  await ensurePortFree(demoPort, host, 'DEMO_PORT');
  runtime = await startLocalRuntime({
    host,
    httpPort: portFromEnv('HTTP_PORT', 3000),
    wsPort: portFromEnv('WS_PORT', 3001),
    // The broadcast channels' Events API (LOCAL_EVENTS=0: none, every topic direct).
    eventsPort: env.LOCAL_EVENTS === '0' ? false : portFromEnv('EVENTS_PORT', 3003),
    eventsNice:
      env.LOCAL_EVENTS_NICE === undefined || env.LOCAL_EVENTS_NICE === ''
        ? undefined
        : Math.max(0, Number(env.LOCAL_EVENTS_NICE) || 0),
    redisUrl: env.REDIS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    sqsEndpoint: env.SQS_ENDPOINT || env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL || undefined,
    dataDir,
    region: env.AWS_REGION || 'us-east-1',
    stage: 'local',
    sweeperIntervalMs: Number(env.SWEEPER_INTERVAL_MS) || schedules.sweeper.localIntervalMs,
  });
  // The demo app (demo/): pages on the project's client, talking to the two APIs like any client.
  demo = await startDemoServer({
    port: demoPort,
    host,
    httpUrl: runtime.urls.http,
    wsUrl: runtime.urls.ws,
    eventsUrl: runtime.urls.events,
    jwtSecret: runtime.jwtSecret,
    issueUserToken: runtime.issueUserToken,
    // Names a browser elsewhere may use for the demo when bound beyond loopback (--allow-remote).
    allowedHosts: (env.LOCAL_PUBLIC_HOSTS ?? '').split(',').filter((name) => name.trim() !== ''),
  });
  log.info('demo', `${demo.url} - the demo app (pick a name; the auction room and the flash sale pages)`);
} catch (error) {
  await runtime?.stop();
  if (error instanceof LocalRuntimeError) {
    log.error('error', error.message);
  } else {
    log.error(
      'error',
      `could not start: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}`,
    );
  }
  process.exit(1);
}

const { urls } = runtime;
log.info(
  'try',
  `curl ${urls.http}/health    |    npm run seed, then open ${demo.url}    |    Ctrl-C stops everything`,
);
log.info(
  'ready',
  `http=${urls.http} ws=${urls.ws}${urls.events ? ` events=${urls.events}` : ''} demo=${demo.url} management=${urls.management} sqs=${urls.sqs} redis=${urls.redis} postgres=${urls.postgres} startup=${process.uptime().toFixed(1)}s`,
);

if (args.includes('--seed')) {
  const { seed } = await import('../scripts/seed.js');
  await seed({
    httpUrl: urls.http,
    wsUrl: urls.ws,
    jwtSecret: runtime.jwtSecret,
    webhookSecret: process.env.WEBHOOK_SECRET,
  }).catch((error: unknown) => log.error('seed', describeError(error)));
}
