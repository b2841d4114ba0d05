/**
 * Issue 28: the client as its users get it. `npm pack` of client/ (its prepack builds it), the
 * tarball installed into a fresh project outside the repository (no path alias, no loader), a small
 * program type-checked there by tsc against the package's own declarations, then run by plain
 * `node` against `npm run local`: a bid, and the live update it makes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalProcess, START_TIMEOUT_MS, startLocal } from './support/local-process.js';
import { tokenFor } from './support/tokens.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const JWT_SECRET = 'client-package-test-secret-0123456789';
const ADMIN_DATABASE_URL = inject('databaseAdminUrl');

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

describe('the client package', () => {
  const work = mkdtempSync(join(tmpdir(), 'client-package-'));
  const admin = postgres(ADMIN_DATABASE_URL, { max: 1, onnotice: () => undefined });
  const databaseName = `live_sale_client_pkg_${Math.random().toString(36).slice(2, 10)}`;
  let local: LocalProcess | undefined;

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE ${databaseName}`);
  });
  afterAll(async () => {
    if (local && local.child.exitCode === null) await local.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'packs built files only, installs into a fresh project, type-checks with tsc and places a bid seen live against npm run local',
    async () => {
      const databaseUrl = new URL(ADMIN_DATABASE_URL);
      databaseUrl.pathname = `/${databaseName}`;
      local = startLocal({
        REDIS_URL: inject('redisUrl'),
        DATABASE_URL: databaseUrl.toString(),
        JWT_SECRET,
        LOCAL_DATA_DIR: join(work, 'local-data'),
        SQS_ENDPOINT: undefined,
        AWS_ENDPOINT_URL: undefined,
      });

      // 1. npm pack: only the built files, the README and package.json.
      const packed = JSON.parse(
        run('npm', ['pack', '--json', '--pack-destination', work], join(ROOT, 'client')),
      );
      const files = (packed[0].files as { path: string }[]).map((file) => file.path).sort();
      const modules = [
        'broadcast-follower',
        'errors',
        'events-channel',
        'index',
        'live',
        'me-feed',
        'rest',
        'transport',
        'types',
      ];
      expect(files).toEqual(
        [
          'README.md',
          'package.json',
          ...modules.flatMap((name) => [`dist/${name}.d.ts`, `dist/${name}.js`]),
        ].sort(),
      );
      const tarball = join(work, packed[0].filename as string);

      // 2. A fresh project outside the repository installs the tarball (it has no dependencies).
      const app = join(work, 'app');
      execFileSync('mkdir', ['-p', app]);
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: 'app', private: true, type: 'module' }),
      );
      run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app);
      const installed = JSON.parse(
        readFileSync(join(app, 'node_modules/@live-sale/client/package.json'), 'utf8'),
      );
      expect(installed.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
      expect(readdirSync(join(app, 'node_modules/@live-sale/client'))).not.toContain('src');

      const urls = await local.ready;
      const adminToken = await tokenFor('seller-1', { admin: true, secret: JWT_SECRET });
      const auctionId = `pkg-${Date.now().toString(36)}`;
      const created = await fetch(`${urls.http}/auctions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({
          id: auctionId,
          title: 'Packaged client lot',
          startingPrice: 1_000,
          minIncrement: 100,
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      });
      expect(created.status).toBe(201);

      // 3. A program written as a user would, checked by tsc with Node's own module resolution
      // (the package's `exports`), the DOM lib only, and the package's declarations checked too.
      const config = {
        baseUrl: urls.http,
        wsUrl: urls.ws,
        auctionId,
        bidderToken: await tokenFor('pkg-bidder', { secret: JWT_SECRET }),
        watcherToken: await tokenFor('pkg-watcher', { secret: JWT_SECRET }),
      };
      writeFileSync(
        join(app, 'main.ts'),
        `import { type AuctionUpdate, createClient, isApiError, type PlaceBidResult } from '@live-sale/client';

const config = ${JSON.stringify(config)};
const watcher = createClient({ baseUrl: config.baseUrl, wsUrl: config.wsUrl, token: config.watcherToken });
const bidder = createClient({ baseUrl: config.baseUrl, token: config.bidderToken });

// The types are real: a wrong body does not compile.
export function wrong() {
  // @ts-expect-error amount is a number
  return bidder.placeBid(config.auctionId, { amount: '1000' });
}

const updates: AuctionUpdate[] = [];
const live = watcher.connect();
const seen = (test: (update: AuctionUpdate) => boolean) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no update: ' + JSON.stringify(updates))), 20_000);
    const check = setInterval(() => {
      if (!updates.some(test)) return;
      clearTimeout(timer);
      clearInterval(check);
      resolve();
    }, 10);
  });
live.subscribeAuction(config.auctionId, (update) => updates.push(update));
try {
  await seen((update) => update.source === 'snapshot');
  const result: PlaceBidResult = await bidder.placeBid(config.auctionId, { amount: 1_000 });
  await seen((update) => update.seq === result.auction.seq);
  const tooLow = await bidder.placeBid(config.auctionId, { amount: 1_000 }).catch((error: unknown) => error);
  console.log(
    JSON.stringify({
      bid: { amount: result.bid.amount, bidderId: result.bid.bidderId, seq: result.auction.seq },
      updates: updates.map((update) => [update.seq, update.source, update.auction.currentPrice]),
      refused: isApiError(tooLow) ? tooLow.code : String(tooLow),
    }),
  );
} finally {
  live.close();
}
`,
      );
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2022', 'DOM'],
            types: [],
            outDir: 'out',
            skipLibCheck: false,
          },
          files: ['main.ts'],
        }),
      );
      run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);

      // 4. Plain node, no loader. Node 22+ has a global WebSocket; Node 20 behind a flag.
      const major = Number(process.versions.node.split('.')[0]);
      const output = run(
        process.execPath,
        [...(major < 22 ? ['--experimental-websocket'] : []), 'out/main.js'],
        app,
      );
      const result = JSON.parse(output.trim().split('\n').at(-1) as string);
      expect(result.bid).toEqual({ amount: 1_000, bidderId: 'pkg-bidder', seq: 2 });
      expect(result.updates[0]).toEqual([1, 'snapshot', null]);
      expect(result.updates).toContainEqual([2, 'live', 1_000]);
      expect(result.refused).toBe('already_leading');
    },
    START_TIMEOUT_MS + 120_000,
  );
});
