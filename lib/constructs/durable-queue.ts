import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueSettings } from '../config/event-sources.js';

export interface DurableQueueProps {
  /** Shared with the local runtime (lib/config/event-sources.ts). */
  readonly settings: QueueSettings;
  /** Physical name prefix, `live-sale-<stage>`. */
  readonly prefix: string;
  readonly retainData: boolean;
}

/**
 * The event-source batching Lambda accepts. The local runtime can batch on a sub-second window,
 * SQS event sources cannot: the window is whole seconds, and a batch above 10 needs a window of at
 * least 1 s. A sub-second window therefore means "latency first": no window, at most 10 records.
 */
export function lambdaBatching(settings: QueueSettings): { batchSize: number; maxBatchingWindow: Duration } {
  if (settings.maxBatchingWindowMs < 1_000) {
    return { batchSize: Math.min(settings.batchSize, 10), maxBatchingWindow: Duration.seconds(0) };
  }
  return {
    batchSize: settings.batchSize,
    maxBatchingWindow: Duration.seconds(Math.round(settings.maxBatchingWindowMs / 1_000)),
  };
}

/**
 * An SQS queue that cannot lose a message silently: a dead-letter queue kept longer than the queue,
 * SQS-managed
 * encryption at rest, TLS enforced by the queue policy. Producers and the consumer bind through
 * `sendFrom` / `consumeBy`, which set the env var or event source together with the IAM grant.
 */
export class DurableQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly settings: QueueSettings;

  constructor(scope: Construct, id: string, props: DurableQueueProps) {
    super(scope, id);
    const { settings } = props;
    const deadLetterRetentionDays = settings.deadLetterRetentionDays ?? 14;
    if (settings.retentionDays >= deadLetterRetentionDays) {
      throw new Error(`${settings.name}: the queue must keep messages shorter than its DLQ`);
    }
    this.settings = settings;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetter', {
      queueName: `${props.prefix}-${settings.name}-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(deadLetterRetentionDays),
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: `${props.prefix}-${settings.name}`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(settings.retentionDays),
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
      removalPolicy,
    });
  }

  /**
   * Producer: `sqs:SendMessage` (which also covers SendMessageBatch) on this queue only, and its URL
   * in `variable`. Not grantSendMessages: producers need no GetQueueUrl / GetQueueAttributes.
   */
  sendFrom(fn: lambda.Function, variable: string): void {
    this.queue.grant(fn, 'sqs:SendMessage');
    fn.addEnvironment(variable, this.queue.queueUrl);
  }

  /**
   * Drain probe for the recovery fence (functions/adapters/sqs/persist-queue-probe.ts): a lost
   * entity is rebuilt from PostgreSQL only once this queue holds nothing and its DLQ nothing of that
   * entity. `sqs:GetQueueAttributes` on both (the depths), `sqs:ReceiveMessage` on the DLQ (whose
   * dead letters they are: a peek with a zero visibility timeout, which moves nothing; without it
   * every rebuild failed while the DLQ held anything, issue 24), and the DLQ URL in `dlqVariable`.
   */
  probedBy(fn: lambda.Function, dlqVariable: string): void {
    this.queue.grant(fn, 'sqs:GetQueueAttributes');
    this.deadLetterQueue.grant(fn, 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage');
    fn.addEnvironment(dlqVariable, this.deadLetterQueue.queueUrl);
  }

  /** Consumer: an event source that reports partial batch failures (the consume grant comes with it). */
  consumeBy(fn: lambda.Function): SqsEventSource {
    const source = new SqsEventSource(this.queue, {
      ...lambdaBatching(this.settings),
      reportBatchItemFailures: true,
      maxConcurrency: this.settings.maxConcurrency,
    });
    fn.addEventSource(source);
    return source;
  }
}
