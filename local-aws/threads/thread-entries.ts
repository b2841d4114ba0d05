/**
 * The entries of the runtime's worker threads, bundled to plain JavaScript with esbuild once per
 * process: a worker thread does not inherit tsx's loader (`node --import tsx` registers it on the
 * main thread only), so it cannot run the `.ts` files directly. Packages stay external and resolve
 * from the project's node_modules, as the build folder sits inside the project.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER, LOCAL_BUILD_DIR } from '../../scripts/build-functions.js';

const ENTRIES = {
  'function-instance': '../lambda/function-instance.ts',
  'websocket-gateway-thread': '../gateways/websocket/websocket-gateway-thread.ts',
  'events-api-thread': '../events-api/events-api-thread.ts',
} as const;

export type ThreadEntry = keyof typeof ENTRIES;

const outdir = join(LOCAL_BUILD_DIR, `threads-${process.pid}`);
let built: Promise<void> | undefined;

/** The bundled file of a thread entry (built on first use; removed when the process exits). */
export async function threadEntryFile(entry: ThreadEntry): Promise<string> {
  built ??= build({
    entryPoints: Object.entries(ENTRIES).map(([out, source]) => ({
      in: fileURLToPath(new URL(source, import.meta.url)),
      out,
    })),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'silent',
  }).then(() => {
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  });
  await built;
  return join(outdir, `${entry}.mjs`);
}
