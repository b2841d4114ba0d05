import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface PersistQueueProbeOptions {
  persistQueueUrl: string;
  /** The persist queue's DLQ: an event parked there is not persisted either. */
  persistDlqUrl?: string | undefined;
  /**
   * How long after the fence the queue's counts are trusted. SQS counts are approximate and may lag
   * by about a minute after messages were sent, and a request that lost its race with the loss may
   * still be sending; the default covers both.
   */
  settleMs: number;
  /** Counts are cached this long, so a burst of reads of fenced entities costs one SQS call. */
  cacheMs?: number;
}

/**
 * The recovery fence's view of the persist queue (ARCHITECTURE.md guarantee 5): an entity that
 * Redis lost may be rebuilt from PostgreSQL once nothing sent before the loss can still arrive. SQS
 * cannot be asked about one entity, so this asks about all of them: the persist queue has no message
 * visible, in flight or delayed, and its DLQ none either, and the settle time since the fence has
 * passed. Strict: under a sustained load the queue is rarely empty, and a lost entity keeps
 * answering 503 until a lull (a wrong answer is worse, see docs/persistence.md).
 */
export class PersistQueueProbe {
  private cached: { at: number; drained: boolean } | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: PersistQueueProbeOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  async settled(fencedSince: number): Promise<boolean> {
    if (this.clock() - fencedSince < this.options.settleMs) return false;
    return this.drained();
  }

  async drained(): Promise<boolean> {
    const now = this.clock();
    if (this.cached && now - this.cached.at < (this.options.cacheMs ?? 1_000)) return this.cached.drained;
    const queues = [this.options.persistQueueUrl, this.options.persistDlqUrl].filter(
      (url): url is string => typeof url === 'string',
    );
    const depths = await Promise.all(queues.map((url) => this.depth(url)));
    const drained = depths.every((depth) => depth === 0);
    this.cached = { at: now, drained };
    return drained;
  }

  private async depth(queueUrl: string): Promise<number> {
    const result = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const attributes = result.Attributes ?? {};
    return (
      Number(attributes.ApproximateNumberOfMessages ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  }
}
