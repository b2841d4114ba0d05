import { defineConfig } from 'vitest/config';

/**
 * Infrastructure tests: synthesize the CDK app and assert on the templates (api-stack.test.ts also
 * on the esbuild bundles). Each file synthesizes once in beforeAll; files run one at a time in one
 * fork, because synthesis is CPU-bound and the machine is shared.
 */
export default defineConfig({
  // Its own cache: npm test runs it beside the unit and integration run (scripts/test.sh).
  cacheDir: 'node_modules/.vite-infra',
  test: {
    include: ['infra-test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
