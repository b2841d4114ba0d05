import { createTokenVerifierFromEnvironment } from '../auth/token-verifier.js';
import { type Environment, readEnvironment } from '../config.js';
import type { LogSink } from '../ports/logger.js';
import type { WsDeps } from '../realtime/use-cases/connection-events.js';
import { composeWsAdapters } from '../wiring/realtime.js';

/** The composition root of the ws function: adapters (from wiring/) made once per cold start. */
export async function composeWs(
  logger: LogSink,
  env: Environment = readEnvironment(),
): Promise<{ deps: WsDeps; close: () => Promise<void> }> {
  const verifier = await createTokenVerifierFromEnvironment(env);
  const adapters = await composeWsAdapters(logger, env);
  return {
    deps: {
      registry: adapters.realtime.registry,
      messenger: adapters.realtime.messenger,
      closer: adapters.realtime.messenger,
      topics: adapters.topics,
      limits: adapters.limits,
      authenticate: (token) => verifier.authenticate(`Bearer ${token}`),
      logger,
      ...(adapters.me ? { me: adapters.me } : {}),
      ...(adapters.broadcast
        ? { broadcast: { ...adapters.broadcast, minWatchers: env.BROADCAST_MIN_WATCHERS } }
        : {}),
    },
    close: adapters.close,
  };
}
