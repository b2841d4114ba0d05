import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { onPath, servicesDirectory, startServices } from './test-services.js';

/**
 * The fallback of `npm test` and `npm run load:ci` (issue 18): with nothing answering at the
 * configured addresses (closed ports here), private servers are started and, at the end or on an
 * early exit, stopped and removed. Each case uses its own folder (purpose), so it never meets the
 * services of the run it is part of.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLOSED_REDIS = 'redis://127.0.0.1:1';
const CLOSED_POSTGRES = 'postgres://postgres@127.0.0.1:1/postgres';
const run = promisify(execFile);

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const options = (purpose: string) => ({
  purpose,
  redisUrl: CLOSED_REDIS,
  databaseAdminUrl: CLOSED_POSTGRES,
  redisVariable: 'TEST_REDIS_URL',
  databaseVariable: 'TEST_DATABASE_URL',
});

describe('test services when nothing answers', () => {
  it('starts a private redis-server and an embedded PostgreSQL, and stop() leaves nothing behind', async () => {
    const purpose = `selftest-${process.pid}`;
    const dir = servicesDirectory(purpose);
    const services = await startServices(options(purpose));
    let redisWorkDir = '';
    try {
      expect(services.redisUrl).not.toBe(CLOSED_REDIS);
      expect(services.descriptions.join('\n')).toMatch(/private redis-server/);
      expect(services.descriptions.join('\n')).toMatch(/embedded PostgreSQL .* started in \d+ ms/);
      const redis = new Redis(services.redisUrl, { lazyConnect: true });
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
      const sql = postgres(services.databaseAdminUrl, { max: 1, onnotice: () => undefined });
      const [row] = await sql`select current_database() as name`;
      expect(row?.name).toBe('postgres');
      await sql.end();
      expect(existsSync(dir)).toBe(true);
      // redis-server's own working folder, which the cleanup must remove too.
      redisWorkDir = readFileSync(join(dir, 'redis-work-dir'), 'utf8').trim();
      expect(existsSync(redisWorkDir)).toBe(true);
    } finally {
      await services.stop();
    }
    expect(existsSync(redisWorkDir)).toBe(false);
    expect(await listening(portOf(services.redisUrl))).toBe(false);
    expect(await listening(portOf(services.databaseAdminUrl))).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(processesMentioning(dir)).toEqual([]);
    expect(readdirSync(tmpdir()).filter((name) => name.includes(purpose))).toEqual([]);
  });

  it('an early exit (what Ctrl-C does to vitest: process.exit) still stops and removes them', async () => {
    const purpose = `selftest-exit-${process.pid}`;
    const dir = servicesDirectory(purpose);
    const script = `
      const { startServices } = await import(${JSON.stringify(join(ROOT, 'scripts/test-services.ts'))});
      const services = await startServices(${JSON.stringify(options(purpose))});
      const { readFileSync } = await import('node:fs');
      const workDir = readFileSync(${JSON.stringify(join(dir, 'redis-work-dir'))}, 'utf8').trim();
      console.log(JSON.stringify({ ...services, workDir }));
      process.exit(130);`;
    const child = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    }).catch((error: { code?: number; stdout?: string }) => error);
    expect((child as { code?: number }).code).toBe(130);
    const started = JSON.parse(
      String((child as { stdout?: string }).stdout)
        .trim()
        .split('\n')
        .at(-1) ?? '{}',
    );
    expect(started.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await listening(portOf(started.redisUrl))).toBe(false);
    expect(await listening(portOf(started.databaseAdminUrl))).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(started.workDir)).toBe(false);
    expect(processesMentioning(dir)).toEqual([]);
  });

  it('names the missing binary when Redis does not answer and redis-server is not on PATH', async () => {
    expect(onPath('redis-server')).toBe(true);
    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((entry) => !existsSync(join(entry, 'redis-server')))
      .join(delimiter);
    const script = `
      const { startServices } = await import(${JSON.stringify(join(ROOT, 'scripts/test-services.ts'))});
      await startServices(${JSON.stringify(options(`selftest-path-${process.pid}`))});`;
    const failed = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: path },
    }).catch((error: { stderr?: string }) => error);
    expect(String((failed as { stderr?: string }).stderr)).toMatch(
      /Redis is needed: nothing answers at redis:\/\/127\.0\.0\.1:1 \(TEST_REDIS_URL\) and redis-server is not on PATH.*apt-get install redis-server/,
    );
  });
});
