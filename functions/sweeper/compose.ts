import { type Environment, readEnvironment } from '../config.js';
import type { LogSink } from '../ports/logger.js';
import { DEFAULT_RESEND_SETTINGS } from '../use-cases/shared/resend-outbox.js';
import { composeSweeperAdapters } from '../wiring/sweeper.js';
import type { SweeperDeps } from './job.js';

export interface ComposedSweeper {
  deps: SweeperDeps;
  close: () => Promise<void>;
}

/** The composition root of the sweeper: adapters (from wiring/) once per cold start. */
export async function composeSweeper(
  logger: LogSink,
  env: Environment = readEnvironment(),
  overrides: Partial<Pick<SweeperDeps, 'resend'>> = {},
): Promise<ComposedSweeper> {
  const adapters = await composeSweeperAdapters(logger, env);
  const deps: SweeperDeps = {
    publisher: adapters.publisher,
    logger,
    outboxes: adapters.outboxes,
    auctions: adapters.auctions,
    flashSales: adapters.flashSales,
    resend: overrides.resend ?? DEFAULT_RESEND_SETTINGS,
    ...(adapters.notifications ? { notifications: adapters.notifications } : {}),
  };
  return { deps, close: adapters.close };
}
