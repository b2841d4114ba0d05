import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

/** Imports `.lua` files as text, as esbuild's `text` loader does in the Lambda bundles. */
function luaAsText(): Plugin {
  return {
    name: 'lua-as-text',
    enforce: 'pre',
    load(id) {
      if (!id.endsWith('.lua')) return null;
      return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    },
  };
}

export default defineConfig({
  plugins: [luaAsText()],
  test: {
    include: [
      'functions/**/*.test.ts',
      'test/**/*.test.ts',
      'scripts/**/*.test.ts',
      'local-aws/**/*.test.ts',
      'demo/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Redis and one PostgreSQL; files run one at a time so that
    // concurrency tests measure the code, not each other.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
  },
});
