import { SQSClient } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import { inject } from 'vitest';
import type { Sql } from '../../functions/adapters/postgres/client.js';
import { PostgresEventSink } from '../../functions/adapters/postgres/postgres-event-sink.js';
import { readEnvironment } from '../../functions/config.js';
import type { EventSink } from '../../functions/ports/event-sink.js';
import { createWriterHandler } from '../../functions/writer/handler.js';
import { recordingLogger } from './persistence.js';
import { createQueueWithDlq, queueDepth, SqsEventSource, waitFor } from './sqs-event-source.js';

export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** A sink that can be switched between a database that is down and the real one. */
export class SwitchableSink implements EventSink {
  constructor(public current: EventSink) {}
  write(events: Parameters<EventSink['write']>[0]) {
    return this.current.write(events);
  }
  isRejection(error: unknown) {
    return this.current.isRejection(error);
  }
}

/**
 * Fresh persist (+ DLQ) and fan-out queues and a writer consuming the persist queue through an
 * event-source poller, as the deployed pipeline does.
 */
export async function createPipeline(
  sqsEndpoint: string,
  sql: Sql,
  options: {
    visibilityTimeoutSeconds?: number;
    maxReceiveCount?: number;
    batchSize?: number;
    maxBatchingWindowMs?: number;
    waitTimeSeconds?: number;
  } = {},
) {
  const sqs = localSqsClient(sqsEndpoint);
  const suffix = ulid().toLowerCase();
  const persist = await createQueueWithDlq(sqs, `persist-${suffix}`, {
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1,
    maxReceiveCount: options.maxReceiveCount ?? 3,
  });
  const fanout = await createQueueWithDlq(sqs, `fanout-${suffix}`, {
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 3,
  });
  const logger = recordingLogger();
  const sink = new SwitchableSink(new PostgresEventSink(sql));
  const writer = createWriterHandler({ sink, logger });
  /** Message body -> the ApproximateReceiveCount of each delivery the writer got. */
  const receiveCounts = new Map<string, number[]>();
  const handler: typeof writer = (event) => {
    for (const record of event.Records) {
      const counts = receiveCounts.get(record.body) ?? [];
      counts.push(Number(record.attributes.ApproximateReceiveCount));
      receiveCounts.set(record.body, counts);
    }
    return writer(event);
  };
  const source = new SqsEventSource(sqs, handler, {
    queueUrl: persist.queueUrl,
    batchSize: options.batchSize ?? 100,
    maxBatchingWindowMs: options.maxBatchingWindowMs ?? 50,
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
  });
  return {
    sqs,
    persist,
    fanout,
    sink,
    logger,
    handler,
    receiveCounts,
    source,
    /**
     * Runs the writer on the persist queue until it is empty, then stops: for tests that read
     * PostgreSQL back after some writes (and whose own poller `source` is not started).
     */
    async drainPersist() {
      const drainer = new SqsEventSource(sqs, handler, {
        queueUrl: persist.queueUrl,
        batchSize: 100,
        maxBatchingWindowMs: 20,
        // Short polls: a long poll of an empty queue would hold stop() for up to its whole wait.
        waitTimeSeconds: 0,
      });
      await drainer.start();
      await waitFor(
        () => queueDepth(sqs, persist.queueUrl),
        (depth) => depth === 0,
      );
      await drainer.stop();
    },
    env: (extra: Record<string, string> = {}) =>
      readEnvironment({
        REDIS_URL: inject('redisUrl'),
        PERSIST_QUEUE_URL: persist.queueUrl,
        PERSIST_DLQ_URL: persist.dlqUrl,
        FANOUT_QUEUE_URL: fanout.queueUrl,
        SQS_ENDPOINT: sqsEndpoint,
        ...extra,
      }),
    async close() {
      await source.stop();
      sqs.destroy();
    },
  };
}
