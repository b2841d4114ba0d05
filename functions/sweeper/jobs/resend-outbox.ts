import { resendOutbox } from '../../use-cases/shared/resend-outbox.js';
import type { SweeperJob } from '../job.js';

export const resendOutboxJob: SweeperJob = {
  name: 'resend-outbox',
  run: async (deps) => ({ ...(await resendOutbox(deps, deps.resend)) }),
};
