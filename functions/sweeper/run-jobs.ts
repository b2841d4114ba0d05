import type { LogSink } from '../ports/logger.js';
import type { SweeperDeps, SweeperJob } from './job.js';

export type JobResult =
  | { job: string; ok: true; ms: number; counts: Record<string, number> }
  | { job: string; ok: false; ms: number; error: string };

/**
 * Runs the jobs one after the other. A failing job is logged and reported; the next jobs still
 * run (closing auctions must not wait for a broken re-send, and the other way round).
 */
export async function runJobs(
  jobs: readonly SweeperJob[],
  deps: SweeperDeps,
  logger: LogSink & {
    info(message: string, ...extra: Record<string, unknown>[]): void;
    debug?(message: string, ...extra: Record<string, unknown>[]): void;
  },
): Promise<JobResult[]> {
  const results: JobResult[] = [];
  for (const job of jobs) {
    const started = performance.now();
    try {
      const counts = await job.run(deps);
      results.push({ job: job.name, ok: true, ms: Math.round(performance.now() - started), counts });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error('sweeper job failed', { job: job.name, error: message });
      results.push({ job: job.name, ok: false, ms: Math.round(performance.now() - started), error: message });
    }
  }
  // A sweep that found nothing to do is routine: DEBUG, so a person reading the logs (locally a
  // sweep runs every 5 s) sees only the sweeps that changed something or failed.
  const idle = results.every(
    (result) => result.ok && Object.values(result.counts).every((count) => count === 0),
  );
  const write = idle ? logger.debug?.bind(logger) : logger.info.bind(logger);
  write?.('sweep done', {
    failed: results.filter((result) => !result.ok).map((result) => result.job),
    jobs: results,
  });
  return results;
}
