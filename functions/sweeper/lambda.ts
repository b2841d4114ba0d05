import { logger } from '../observability.js';
import { composeSweeper } from './compose.js';
import { jobs } from './jobs/index.js';
import { runJobs } from './run-jobs.js';

// Cold start: configuration and clients, once. A bad configuration fails here, loudly.
const { deps } = await composeSweeper(logger);

/** EventBridge schedule: every job in sequence, each isolated; one summary log line per run. */
export const handler = async () => {
  const results = await runJobs(jobs, deps, logger);
  return { ok: results.every((result) => result.ok), jobs: results };
};
