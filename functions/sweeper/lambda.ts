import { logger } from '../observability.js';
import { closeAuctionNow } from '../use-cases/auctions/close-auction-now.js';
import { composeSweeper } from './compose.js';
import { jobs } from './jobs/index.js';
import { runJobs } from './run-jobs.js';

// Cold start: configuration and clients, once. A bad configuration fails here, loudly.
const { deps } = await composeSweeper(logger);

/**
 * EventBridge schedule: every job in sequence, each isolated; one summary log line per run.
 * The auction closer (lib/constructs/auction-closer.ts): `{"closeAuction": {"auctionId"}}` closes
 * that one auction at its end and answers `{code, endsAt}`.
 */
export const handler = async (event: unknown) => {
  const closeAuction = (event as { closeAuction?: { auctionId?: unknown } } | null)?.closeAuction;
  if (closeAuction && typeof closeAuction.auctionId === 'string') {
    const result = await closeAuctionNow(
      { ...deps.auctions, publisher: deps.publisher, outboxes: deps.outboxes, logger },
      closeAuction.auctionId,
    );
    logger.info('auction closer', { auctionId: closeAuction.auctionId, ...result });
    return result;
  }
  const results = await runJobs(jobs, deps, logger);
  return { ok: results.every((result) => result.ok), jobs: results };
};
