import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const DEMO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Asset {
  body: Uint8Array;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Bundles the pages (demo/src/main.ts and everything it imports: the client package, the CSS) with
 * esbuild into memory, so that `npm run local` always serves the pages of the checkout it runs
 * and nothing is written into the tree. Every asset is local: no CDN, no font or script from elsewhere.
 */
export async function buildPages(): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: { app: join(DEMO_ROOT, 'src/main.ts') },
    outdir: '/assets',
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
    tsconfig: join(DEMO_ROOT, 'tsconfig.json'),
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const extension = file.path.slice(file.path.lastIndexOf('.'));
    assets.set(file.path, {
      body: file.contents,
      contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    });
  }
  return assets;
}
