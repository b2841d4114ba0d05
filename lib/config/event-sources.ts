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
  readonly retentionDays: number;
  /** The Lambda entry consuming the queue. */
  readonly consumer: 'writer' | 'fanout';
}

export const queueSettings: Record<'persist' | 'fanout', QueueSettings> = {
  persist: {
    name: 'persist',
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 5,
    batchSize: 100,
    maxBatchingWindowMs: 1_000,
    maxConcurrency: 5,
    retentionDays: 14,
    consumer: 'writer',
  },
  fanout: {
    name: 'fanout',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 3,
    batchSize: 100,
    // Latency-sensitive: a short window still lets bursts conflate into one batch.
    maxBatchingWindowMs: 50,
    maxConcurrency: 10,
    retentionDays: 1,
    consumer: 'fanout',
  },
};

/** Schedules of the sweeper. On AWS the minimum EventBridge rate is one minute; locally it runs more often. */
export const schedules = {
  sweeper: { awsRateMinutes: 1, localIntervalMs: 5_000 },
} as const;
