import { closeEndedAuctions } from '../../use-cases/auctions/close-ended-auctions.js';
import type { SweeperJob } from '../job.js';

export const closeAuctionsJob: SweeperJob = {
  name: 'close-auctions',
  run: async (deps) => ({
    ...(await closeEndedAuctions({
      closer: deps.auctions.closer,
      ...(deps.auctions.recovery ? { recovery: deps.auctions.recovery } : {}),
      publisher: deps.publisher,
      outboxes: deps.outboxes,
      logger: deps.logger,
    })),
  }),
};
