import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventEnvelope } from '../../domain/events.js';
import type { EventPublisher } from '../../ports/event-publisher.js';

const SQS_BATCH_LIMIT = 10;

export interface SqsQueues {
  persistQueueUrl: string;
  fanoutQueueUrl: string;
}

export class SqsEventPublisher implements EventPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: SqsQueues,
  ) {}

  persist(events: readonly EventEnvelope[]): Promise<void> {
    return this.send(this.queues.persistQueueUrl, events);
  }

  fanout(events: readonly EventEnvelope[]): Promise<void> {
    return this.send(this.queues.fanoutQueueUrl, events);
  }

  private async send(queueUrl: string, events: readonly EventEnvelope[]): Promise<void> {
    for (let start = 0; start < events.length; start += SQS_BATCH_LIMIT) {
      const chunk = events.slice(start, start + SQS_BATCH_LIMIT);
      const result = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((event, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(event),
            MessageAttributes: {
              type: { DataType: 'String', StringValue: event.type },
              entity: { DataType: 'String', StringValue: `${event.entityType}:${event.entityId}` },
            },
          })),
        }),
      );
      if (result.Failed && result.Failed.length > 0) {
        const first = result.Failed[0];
        throw new Error(`SQS refused ${result.Failed.length} event(s): ${first?.Code} ${first?.Message}`);
      }
    }
  }
}
