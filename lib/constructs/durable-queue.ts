import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DurableQueueProps {
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** At least 6x the consumer's timeout (AWS guidance for Lambda event sources). */
  readonly visibilityTimeout: Duration;
  readonly retainData: boolean;
}

export interface ConsumerOptions {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly maxConcurrency?: number;
}

/**
 * An SQS queue that cannot lose a message silently: a dead-letter queue kept 14 days, SQS-managed
 * encryption at rest, TLS enforced by the queue policy. Consumers and producers bind through
 * `sendFrom` / `consumeBy`, which set the env var or event source together with the IAM grant.
 */
export class DurableQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DurableQueueProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetter', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Events wait here while PostgreSQL is down; 4 days is the default, 14 is the ceiling.
      retentionPeriod: Duration.days(14),
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      removalPolicy,
    });
  }

  /** Producer: `sqs:SendMessage` on this queue only, and its URL in `variable`. */
  sendFrom(fn: lambda.Function, variable: string): void {
    this.queue.grantSendMessages(fn);
    fn.addEnvironment(variable, this.queue.queueUrl);
  }

  /** Consumer: an event source that reports partial batch failures (the grant comes with it). */
  consumeBy(fn: lambda.Function, options: ConsumerOptions): SqsEventSource {
    const source = new SqsEventSource(this.queue, {
      batchSize: options.batchSize,
      maxBatchingWindow: options.maxBatchingWindow,
      reportBatchItemFailures: true,
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    });
    fn.addEventSource(source);
    return source;
  }
}
