import { visibilityTimeoutFor } from './functions.js';

/**
 * Queue and event-source settings shared by the CDK stacks and the local runtime, so that local
 * runs behave like the deployed SQS -> Lambda event source mappings.
 */
export interface QueueSettings {
  /** Logical name; physical names are `live-sale-<stage>-<name>`. */
  readonly name: 'persist' | 'fanout';
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
  /** Concurrent invocations of the consuming function. */
  readonly maxConcurrency: number;
  /**
   * Shorter than the DLQ's: SQS keeps a message's original enqueue time when it moves it to the
   * DLQ, so a DLQ that kept messages no longer than its source would drop old ones at once.
   */
  readonly retentionDays: number;
  /** 14 (the SQS maximum) when not given. */
  readonly deadLetterRetentionDays?: number;
  /** The Lambda entry consuming the queue. */
  readonly consumer: 'writer' | 'fanout';
}

export const queueSettings: Record<'persist' | 'fanout', QueueSettings> = {
  persist: {
    name: 'persist',
    // Six times the writer's timeout (lib/config/functions.ts).
    visibilityTimeoutSeconds: visibilityTimeoutFor('writer'),
    maxReceiveCount: 5,
    batchSize: 100,
    maxBatchingWindowMs: 1_000,
    maxConcurrency: 5,
    retentionDays: 4,
    deadLetterRetentionDays: 14,
    consumer: 'writer',
  },
  fanout: {
    name: 'fanout',
    // Six times the fan-out's timeout, which is sized from its work (lib/config/functions.ts).
    visibilityTimeoutSeconds: visibilityTimeoutFor('fanout'),
    maxReceiveCount: 3,
    // Latency-sensitive: no batching window. Lambda takes windows in whole seconds and needs one
    // (>= 1 s) for batches over 10, so the fan-out reads up to 10 per batch; the HTTP side already
    // conflates per entity before sending, and the fan-out conflates again per batch.
    batchSize: 10,
    maxBatchingWindowMs: 0,
    maxConcurrency: 10,
    retentionDays: 1,
    deadLetterRetentionDays: 14,
    consumer: 'fanout',
  },
};

/** Schedules of the sweeper. On AWS the minimum EventBridge rate is one minute; locally it runs more often. */
export const schedules = {
  sweeper: { awsRateMinutes: 1, localIntervalMs: 5_000 },
} as const;
