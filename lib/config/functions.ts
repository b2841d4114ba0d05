/**
 * Function timeouts, sized from the work each function may have to do, and the queue visibility
 * timeouts derived from them. Pure data: the CDK stacks and the local runtime (which enforces the
 * same timeouts) both read this module, so a local run times out where Lambda would.
 */

/** The Lambda entries fixed by docs/CONVENTIONS.md. */
export type FunctionName = 'http' | 'ws' | 'writer' | 'fanout' | 'sweeper' | 'migrate';

/**
 * What one fan-out invocation may wait for, worst case (the figures are the function's own:
 * functions/fanout/compose.ts, FANOUT_POST_TIMEOUT_MS in functions/config.ts and
 * WAVE_POST_POLICY in functions/adapters/apigw/signed-post-messenger.ts (the waves' path); an infra test
 * checks that they still match).
 */
export const fanoutWork = {
  /** A wave waits this long for another wave of its topic to release the lease. */
  leaseWaitMs: 12_000,
  /** The hard timeout of one PostToConnection. */
  postTimeoutMs: 3_000,
  /** Retries of a throttled post, each after a backoff of at most `backoffMaxMs`. */
  throttleRetries: 6,
  backoffMaxMs: 1_000,
  /** Cold start (secrets, Redis), reading the topic, sending wave parts, releasing the lease. */
  overheadMs: 10_000,
} as const;

/** Lease wait + one post with every throttle retry (each may run to its timeout) + overhead. */
export function fanoutWorstCaseMs(work: typeof fanoutWork = fanoutWork): number {
  return (
    work.leaseWaitMs +
    work.postTimeoutMs * (1 + work.throttleRetries) +
    work.backoffMaxMs * work.throttleRetries +
    work.overheadMs
  );
}

const roundUpTo5s = (ms: number) => Math.ceil(ms / 5_000) * 5;

/** Timeout of each function, in seconds. */
export const functionTimeoutSeconds: Record<FunctionName, number> = {
  // Redis and SQS calls have short timeouts and bounded retries; API Gateway gives up at 30 s.
  http: 10,
  ws: 10,
  // A batch of 100 events in one transaction takes ~300 ms; the budget covers the 5 s connect
  // timeout, an RDS Proxy that is still borrowing a database connection, and one retry.
  writer: 30,
  // 12 + 3 x 7 + 6 + 10 = 49 s, rounded up: 50 s.
  fanout: roundUpTo5s(fanoutWorstCaseMs()),
  // Runs every minute; one run must end before the next starts.
  sweeper: 55,
  // Migrations run in one transaction at deploy; the connect is retried while the network settles.
  migrate: 300,
};

/**
 * AWS guidance for SQS event sources: the visibility timeout is at least six times the consumer's
 * timeout, so a message is never redelivered while an invocation may still work on it (and a
 * throttled batch is retried by the poller before it reappears).
 */
export const VISIBILITY_TO_TIMEOUT = 6;

export function visibilityTimeoutFor(consumer: FunctionName): number {
  return VISIBILITY_TO_TIMEOUT * functionTimeoutSeconds[consumer];
}

export const functionTimeoutsMs = Object.fromEntries(
  Object.entries(functionTimeoutSeconds).map(([name, seconds]) => [name, seconds * 1_000]),
) as Record<FunctionName, number>;
