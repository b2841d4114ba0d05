import { defineConfig } from 'vitest/config';

/**
 * Infrastructure tests: synthesize the CDK app (esbuild bundles every function) and assert on the
 * templates. Each file synthesizes once in beforeAll; files run one at a time in one fork, because
 * bundling is CPU-bound and the machine is shared.
 */
export default defineConfig({
  test: {
    include: ['infra-test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
