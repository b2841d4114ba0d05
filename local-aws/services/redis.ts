import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRuntimeError } from '../shared/log.js';
import { freePort } from '../shared/ports.js';
import { stopChild, stopLeftover, track } from './processes.js';

export interface LocalRedis {
  url: string;
  /** How it was obtained, for the progress line. */
  description: string;
  stop: () => Promise<void>;
}

const INSTALL_HINT =
  'set REDIS_URL=redis://host:port to use a running Redis, or install redis-server (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) so that a private one can be started';

/** Sends PING over a raw socket (no client library needed) and resolves true on +PONG. */
function ping(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) =>
      done(data.toString().startsWith('+PONG') || data.toString().includes('NOAUTH')),
    );
  });
}

/** REDIS_URL if set (checked to answer), else a private redis-server from PATH on a free port. */
export async function startRedis(
  redisUrl: string | undefined,
  dataDir: string,
  onProgress: (message: string) => void,
): Promise<LocalRedis> {
  if (redisUrl) {
    let url: URL;
    try {
      url = new URL(redisUrl);
    } catch {
      throw new LocalRuntimeError(`REDIS_URL=${redisUrl} is not a URL (expected redis://host:port)`);
    }
    const port = Number(url.port || 6379);
    if (url.protocol === 'redis:' && !(await ping(url.hostname, port, 2_000))) {
      throw new LocalRuntimeError(
        `Redis does not answer at REDIS_URL=${redisUrl}: start it, or unset REDIS_URL to get a private one`,
      );
    }
    return { url: redisUrl, description: 'from REDIS_URL', stop: async () => undefined };
  }

  // The private server of a run that was killed (its pid is recorded in the data folder).
  const pidFile = join(dataDir, `redis-server.pid`);
  const leftover = await stopLeftover(pidFile, (lines) => `redis-server 127.0.0.1:${lines[1]}`, 'SIGTERM');
  if (leftover) onProgress(`stopped redis-server pid ${leftover} left running by an earlier run`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'live-sale-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  track(child, 'SIGTERM');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new LocalRuntimeError(
          error.code === 'ENOENT'
            ? `Redis is needed and redis-server is not on PATH: ${INSTALL_HINT}`
            : `redis-server failed to start: ${error.message}`,
        ),
      );
    });
    child.once('exit', (code) =>
      reject(new LocalRuntimeError(`redis-server exited at start (code ${code}): ${stderr.trim()}`)),
    );
  });
  const ready = (async () => {
    const deadline = Date.now() + 10_000;
    while (!(await ping('127.0.0.1', port, 500))) {
      if (Date.now() > deadline)
        throw new LocalRuntimeError(`redis-server did not answer on port ${port} within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    await stopChild(child, 'SIGKILL', 1_000);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  failed.catch(() => undefined);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(pidFile, `${child.pid}\n${port}\n`);
  return {
    url: `redis://127.0.0.1:${port}`,
    description: `private redis-server, no persistence, pid ${child.pid}`,
    stop: async () => {
      await stopChild(child, 'SIGTERM', 5_000);
      rmSync(dir, { recursive: true, force: true });
      rmSync(pidFile, { force: true });
    },
  };
}
