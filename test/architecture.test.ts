/**
 * The house rules of functions/ (docs/CONVENTIONS.md, issue 25), read off the imports of every
 * module (ts.preProcessFile: static, dynamic and type imports, re-exports):
 * (a) no Lambda entry folder imports another one (shared composition lives in functions/wiring/);
 * (b) no adapter imports a use case (adapters implement ports; composition is wiring's job);
 * (c) the pure rooms (domain/, realtime/model.ts, realtime/protocol.ts, realtime/wave-part.ts)
 *     import no adapter and no AWS, Redis or PostgreSQL package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const FUNCTIONS = join(ROOT, 'functions');

const ENTRIES = ['http', 'ws', 'writer', 'fanout', 'sweeper', 'migrate'];
const PURE_FILES = [
  'functions/realtime/model.ts',
  'functions/realtime/protocol.ts',
  'functions/realtime/wave-part.ts',
];
const OUTSIDE_SYSTEM_PACKAGES = /^(@aws-sdk\/|@smithy\/|aws-lambda$|ioredis$|redis$|postgres$|pg$)/;

/** Repository-relative posix paths of every TypeScript module under functions/, tests included. */
function modules(directory = FUNCTIONS): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path).split('\\').join('/')] : [];
  });
}

/** What a module imports: relative specifiers resolved to repository paths (`.js` -> `.ts`), packages as written. */
function importsOf(file: string, source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map(({ fileName }) =>
      fileName.startsWith('.')
        ? posix.normalize(posix.join(posix.dirname(file), fileName)).replace(/\.js$/, '.ts')
        : fileName,
    );
}

const entryOf = (path: string): string | undefined => {
  const match = /^functions\/([^/]+)\//.exec(path);
  return match && ENTRIES.includes(match[1] as string) ? match[1] : undefined;
};
const isAdapter = (path: string) => path.startsWith('functions/adapters/');
const isUseCase = (path: string) =>
  path.startsWith('functions/use-cases/') || path.startsWith('functions/realtime/use-cases/');
const isPure = (path: string) => path.startsWith('functions/domain/') || PURE_FILES.includes(path);

/** Every broken rule of a set of modules (path -> source), as `rule: importer -> imported`. */
function violations(sources: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of sources) {
    for (const target of importsOf(file, source)) {
      const from = entryOf(file);
      const to = entryOf(target);
      if (from && to && from !== to) found.push(`entry imports another entry: ${file} -> ${target}`);
      if (isAdapter(file) && isUseCase(target))
        found.push(`adapter imports a use case: ${file} -> ${target}`);
      if (isPure(file) && (isAdapter(target) || OUTSIDE_SYSTEM_PACKAGES.test(target))) {
        found.push(`pure module imports an outside system: ${file} -> ${target}`);
      }
    }
  }
  return found;
}

describe('architecture of functions/', () => {
  const sources = new Map(modules().map((file) => [file, readFileSync(join(ROOT, file), 'utf8')]));

  it('reads the whole tree (every entry, the adapters, the pure rooms)', () => {
    for (const entry of ENTRIES) expect(sources.has(`functions/${entry}/lambda.ts`)).toBe(true);
    for (const file of PURE_FILES) expect(sources.has(file)).toBe(true);
    expect([...sources.keys()].filter(isAdapter).length).toBeGreaterThan(10);
    expect([...sources.keys()].filter((file) => file.startsWith('functions/domain/')).length).toBeGreaterThan(
      5,
    );
  });

  it('no entry imports another, no adapter imports a use case, the pure rooms import no outside system', () => {
    expect(violations(sources)).toEqual([]);
  });

  it('catches each kind of violation (the check itself can fail)', () => {
    const bad = new Map([
      ['functions/fanout/compose.ts', "import { composeWs } from '../ws/compose.js';"],
      ['functions/ws/compose.ts', "export { x } from '../http/app.js';"],
      [
        'functions/adapters/redis/some-store.ts',
        "import type { X } from '../../use-cases/auctions/place-bid.js';",
      ],
      ['functions/adapters/sqs/queue.ts', "const m = await import('../../realtime/use-cases/fan-out.js');"],
      ['functions/domain/thing.ts', "import { Redis } from 'ioredis';"],
      ['functions/domain/other.ts', "import type { RedisClient } from '../adapters/redis/client.js';"],
      ['functions/realtime/protocol.ts', "import { SQSClient } from '@aws-sdk/client-sqs';"],
      ['functions/realtime/model.ts', "import postgres from 'postgres';"],
      // Allowed: an entry's own folder, wiring building adapters, an adapter on a port.
      ['functions/http/lambda.ts', "import { composeHttpApp } from './compose.js';"],
      ['functions/wiring/realtime.ts', "import { x } from '../adapters/redis/client.js';"],
      [
        'functions/adapters/redis/store.ts',
        "import type { AuctionStore } from '../../ports/auction-store.js';",
      ],
    ]);
    expect(violations(bad)).toEqual([
      'entry imports another entry: functions/fanout/compose.ts -> functions/ws/compose.ts',
      'entry imports another entry: functions/ws/compose.ts -> functions/http/app.ts',
      'adapter imports a use case: functions/adapters/redis/some-store.ts -> functions/use-cases/auctions/place-bid.ts',
      'adapter imports a use case: functions/adapters/sqs/queue.ts -> functions/realtime/use-cases/fan-out.ts',
      'pure module imports an outside system: functions/domain/thing.ts -> ioredis',
      'pure module imports an outside system: functions/domain/other.ts -> functions/adapters/redis/client.ts',
      'pure module imports an outside system: functions/realtime/protocol.ts -> @aws-sdk/client-sqs',
      'pure module imports an outside system: functions/realtime/model.ts -> postgres',
    ]);
  });
});
