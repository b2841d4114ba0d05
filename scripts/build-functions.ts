/**
 * Bundles the Lambda entries with esbuild, with the options of the CDK `NodejsFunction` bundling in
 * lib/constructs/app-function.ts (ESM, platform node, `.lua` as text, the `require` banner, source
 * maps). This is the one place the local runtime takes those options from; keep the two in step.
 *
 * Usage: `npx tsx scripts/build-functions.ts [http ws ...]` (default: every entry that exists),
 * writes `.local-build/<name>/index.mjs`.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, stop } from 'esbuild';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_BUILD_DIR = join(PROJECT_ROOT, '.local-build');

/** The Lambda entries fixed by docs/CONVENTIONS.md. */
export const FUNCTION_NAMES = ['http', 'ws', 'writer', 'fanout', 'sweeper', 'migrate'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** ESM bundles need `require` for CommonJS dependencies that call it for Node built-ins. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export function entryPath(name: FunctionName): string {
  return join(PROJECT_ROOT, 'functions', name, 'lambda.ts');
}

export interface BundleOptions {
  /** esbuild target; the Lambda runtime is node24, locally the running Node (the same line). */
  target?: string;
  /** The Lambda bundles are minified; locally readable stack traces matter more. */
  minify?: boolean;
}

/** The esbuild options of one Lambda bundle (same as the CDK stack's `bundling`). */
export function bundleOptions(
  name: FunctionName,
  outfile: string,
  options: BundleOptions = {},
): BuildOptions {
  return {
    entryPoints: [entryPath(name)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: options.target ?? `node${process.versions.node.split('.')[0]}`,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: options.minify ?? false,
    sourcemap: true,
    sourcesContent: false,
    loader: { '.lua': 'text' },
    // Like `bundleAwsSDK: true, externalModules: []`: everything, the SDK included, is bundled.
    external: [],
    logLevel: 'silent',
  };
}

export interface BuiltFunction {
  name: FunctionName;
  file: string;
  ms: number;
}

/** Ends esbuild's helper process once no more builds are coming (a long-running process keeps it otherwise). */
export const stopBundler = (): void | Promise<void> => stop();

export interface BuildResult {
  built: BuiltFunction[];
  /** Entries that do not exist (yet) in this checkout. */
  missing: FunctionName[];
}

/** Builds the given entries (those that exist) in parallel into `outdir/<name>/index.mjs`. */
export async function buildFunctions(
  names: readonly FunctionName[] = FUNCTION_NAMES,
  outdir: string = LOCAL_BUILD_DIR,
  options: BundleOptions = {},
): Promise<BuildResult> {
  const present = names.filter((name) => existsSync(entryPath(name)));
  const missing = names.filter((name) => !present.includes(name));
  const built = await Promise.all(
    present.map(async (name): Promise<BuiltFunction> => {
      const started = performance.now();
      const file = join(outdir, name, 'index.mjs');
      await rm(dirname(file), { recursive: true, force: true });
      await build(bundleOptions(name, file, options));
      return { name, file, ms: Math.round(performance.now() - started) };
    }),
  );
  return { built, missing };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(FUNCTION_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    console.error(
      `unknown function(s): ${unknown.join(', ')}; expected some of ${FUNCTION_NAMES.join(', ')}`,
    );
    process.exit(2);
  }
  const { built, missing } = await buildFunctions(
    requested.length > 0 ? (requested as FunctionName[]) : FUNCTION_NAMES,
  );
  for (const fn of built)
    console.log(`built ${fn.name.padEnd(8)} ${relative(PROJECT_ROOT, fn.file)} (${fn.ms} ms)`);
  for (const name of missing)
    console.log(`skipped ${name}: ${relative(PROJECT_ROOT, entryPath(name))} does not exist`);
}
