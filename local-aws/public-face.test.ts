import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Tests, benchmarks and scripts reach the stand-ins through local-aws/index.ts only, so that the
 * stand-ins can be rearranged without touching them; the product (functions/, lib/, client/) does
 * not depend on the stand-ins at all.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SKIP = new Set(['node_modules', 'cdk.out', 'dist', '.local-build', '.local-data', '.git', 'local-aws']);
const PRODUCT = ['functions', 'lib', 'client'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

/** Specifiers of static and dynamic imports and re-exports that point into local-aws/. */
function standInImports(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]*local-aws\/[^'"]*)['"]/g)) {
    found.push(match[1] as string);
  }
  return found;
}

describe('local-aws public face', () => {
  const files = readdirSync(ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !SKIP.has(entry.name))
    .flatMap((entry) => sources(join(ROOT, entry.name)));

  it('is the only module of local-aws/ imported from outside it', () => {
    const offenders = files.flatMap((file) =>
      standInImports(readFileSync(file, 'utf8'))
        .filter((specifier) => !/(^|\/)local-aws\/index\.(js|ts)$/.test(specifier))
        .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('is not imported by the product (functions/, lib/, client/)', () => {
    const offenders = files
      .filter((file) => PRODUCT.includes(relative(ROOT, file).split('/')[0] as string))
      .flatMap((file) =>
        standInImports(readFileSync(file, 'utf8')).map(
          (specifier) => `${relative(ROOT, file)} imports ${specifier}`,
        ),
      );
    expect(offenders).toEqual([]);
  });

  it('finds the imports it checks (the scan is not empty)', () => {
    const importers = files.filter((file) => standInImports(readFileSync(file, 'utf8')).length > 0);
    expect(importers.map((file) => relative(ROOT, file))).toContain(join('test', 'ws-helpers.ts'));
  });
});
