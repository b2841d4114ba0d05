import { resendOutbox } from '../../use-cases/resend-outbox.js';
import type { SweeperJob } from '../job.js';

export const resendOutboxJob: SweeperJob = {
  name: 'resend-outbox',
  run: async (deps) => ({ ...(await resendOutbox(deps, deps.resend)) }),
};
