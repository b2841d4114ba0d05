import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface EventSourceOptions {
  queueUrl: string;
  batchSize?: number;
  maxBatchingWindowMs?: number;
  /** Concurrent invocations (Lambda's maxConcurrency). */
  concurrency?: number;
  /** Long-poll wait when the queue is empty, seconds. */
  waitTimeSeconds?: number;
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? 'String', stringValue: value.StringValue },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

/**
 * Behaves like Lambda's SQS event source mapping: gathers up to `batchSize` messages (ReceiveMessage
 * returns at most 10) within the batching window, invokes the handler, deletes the messages that are
 * not in `batchItemFailures` and leaves the failed ones to come back after the visibility timeout
 * (where the queue's redrive policy moves them to the DLQ after maxReceiveCount receives). A handler
 * that throws fails the whole batch, as on Lambda.
 */
export class SqsEventSource {
  private running = false;
  private loops: Promise<void>[] = [];
  private queueArn = '';
  invocations = 0;
  errors: unknown[] = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly handler: SqsBatchHandler,
    private readonly options: EventSourceOptions,
  ) {}

  async start(): Promise<void> {
    const attributes = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    this.queueArn = attributes.Attributes?.QueueArn ?? '';
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency ?? 1 }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Gathers one batch; resolves with [] when nothing arrived within the wait. */
  async receiveBatch(): Promise<Message[]> {
    const batchSize = this.options.batchSize ?? 10;
    // Lambda's window opens with the first record it gathers, not when it starts polling.
    let deadline = Number.POSITIVE_INFINITY;
    const messages: Message[] = [];
    while (messages.length < batchSize) {
      const waiting = messages.length === 0 && this.running;
      const result = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
          WaitTimeSeconds: waiting ? (this.options.waitTimeSeconds ?? 1) : 0,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const received = result.Messages ?? [];
      if (received.length > 0 && messages.length === 0)
        deadline = Date.now() + (this.options.maxBatchingWindowMs ?? 0);
      messages.push(...received);
      if (messages.length > 0 && Date.now() >= deadline) break;
      if (received.length === 0 && messages.length === 0) break;
      // An open window with an empty queue: short polls, a little apart.
      if (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      if (messages.length === 0 && !this.running) break;
    }
    return messages;
  }

  /** One invocation with the given messages, then deletes the successful ones. */
  async invoke(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((message) => toRecord(message, this.queueArn)) };
    this.invocations++;
    let failedIds: Set<string>;
    try {
      const response = await this.handler(event);
      failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      this.errors.push(error);
      return;
    }
    const done = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
    for (let start = 0; start < done.length; start += 10) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: done.slice(start, start + 10).map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const messages = await this.receiveBatch();
        if (messages.length > 0) await this.invoke(messages);
        // Short polling (waitTimeSeconds 0), a little apart: how a test gets SQS's early return of a
        // long poll, which local-aws-sqs does not do (it answers at the end of the wait).
        else if (this.options.waitTimeSeconds === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      } catch (error) {
        this.errors.push(error);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

export interface QueueWithDlq {
  queueUrl: string;
  dlqUrl: string;
}

/** A queue with a RedrivePolicy to its own DLQ, as the stack defines them. */
export async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  options: { visibilityTimeoutSeconds: number; maxReceiveCount: number },
): Promise<QueueWithDlq> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqUrl = dlq.QueueUrl as string;
  const arn = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: arn.Attributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl as string, dlqUrl };
}

/** Visible + in flight + delayed messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  const attributes = result.Attributes ?? {};
  return (
    Number(attributes.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

export async function waitFor<T>(
  check: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
