import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { onExit, stopNow } from '../../scripts/test-services.js';
import { freeClusterPort, freePort } from './ports.js';

const run = promisify(execFile);

export interface RedisProcessGroup {
  ports: number[];
  stop: () => Promise<void>;
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
      if (stdout.trim() === 'PONG') return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startRedisProcess(port: number, dir: string, extra: string[] = []): ChildProcess {
  return spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extra,
    ],
    { stdio: 'ignore' },
  );
}

/**
 * If the run ends before stop() (Ctrl-C makes vitest exit at once), the servers are stopped and
 * their folder removed anyway.
 */
function removeOnExit(children: () => ChildProcess[], dir: string): () => void {
  return onExit(() => {
    for (const child of children())
      if (child.pid && child.exitCode === null) stopNow(child.pid, 'SIGKILL', 2_000);
    rmSync(dir, { recursive: true, force: true });
  });
}

async function stopAll(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
}

/** A private single Redis, for tests that stop, kill or restart it (it keeps nothing on disk). */
export async function startPrivateRedis(): Promise<
  RedisProcessGroup & { restart: () => Promise<void>; kill: () => Promise<void>; start: () => Promise<void> }
> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const port = await freePort();
  let child = startRedisProcess(port, dir);
  const cancelExitHook = removeOnExit(() => [child], dir);
  await waitForPing(port);
  const kill = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  const start = async () => {
    child = startRedisProcess(port, dir);
    await waitForPing(port);
  };
  return {
    ports: [port],
    stop: async () => {
      await stopAll([child], dir);
      cancelExitHook();
    },
    kill,
    start,
    restart: async () => {
      await kill();
      await start();
    },
  };
}

/** A real 3-node Redis Cluster (no replicas), as ElastiCache cluster mode / Serverless behaves. */
export async function startRedisCluster(): Promise<RedisProcessGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const taken = new Set<number>();
  const ports = [await freeClusterPort(taken), await freeClusterPort(taken), await freeClusterPort(taken)];
  const children = ports.map((port) =>
    startRedisProcess(port, dir, [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '2000',
    ]),
  );
  const cancelExitHook = removeOnExit(() => children, dir);
  await Promise.all(ports.map((port) => waitForPing(port)));
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  const probe = new Redis({ port: ports[0], lazyConnect: true });
  await probe.connect();
  const deadline = Date.now() + 15_000;
  while (!(await probe.cluster('INFO')).includes('cluster_state:ok')) {
    if (Date.now() > deadline) throw new Error('the Redis Cluster did not reach cluster_state:ok');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  probe.disconnect();
  return {
    ports,
    stop: async () => {
      await stopAll(children, dir);
      cancelExitHook();
    },
  };
}
