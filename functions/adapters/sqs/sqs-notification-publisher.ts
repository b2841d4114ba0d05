import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { NotificationPublisher, StoredNotification } from '../../ports/notifications.js';
import { encodeNotificationsMessage, NOTIFICATIONS_PER_MESSAGE } from '../../realtime/notification-push.js';

const ENTRIES_PER_BATCH = 10;

/** The writer's committed notifications to the fanout queue, which pushes them (best effort). */
export class SqsNotificationPublisher implements NotificationPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async publish(notifications: readonly StoredNotification[]): Promise<void> {
    const bodies: string[] = [];
    for (let start = 0; start < notifications.length; start += NOTIFICATIONS_PER_MESSAGE) {
      bodies.push(encodeNotificationsMessage(notifications.slice(start, start + NOTIFICATIONS_PER_MESSAGE)));
    }
    const batches: string[][] = [];
    for (let start = 0; start < bodies.length; start += ENTRIES_PER_BATCH) {
      batches.push(bodies.slice(start, start + ENTRIES_PER_BATCH));
    }
    await Promise.all(
      batches.map(async (batch) => {
        const result = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((body, index) => ({ Id: String(index), MessageBody: body })),
          }),
        );
        if ((result.Failed ?? []).length > 0)
          throw new Error(`${result.Failed?.length} notification messages not sent`);
      }),
    );
  }
}
