import type { Server } from 'node:http';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueSettings } from '../../lib/config/event-sources.js';
import type { LocalFunction } from '../lambda/functions.js';
import { freePort } from '../shared/ports.js';
import { SqsEventSourceMapping, succeededRecords } from './event-source-mapping.js';
import { createLocalSqsClient, type LocalQueue } from './sqs-server.js';

const record = (messageId: string) => ({ messageId }) as SQSRecord;

describe('partial batch responses (Lambda rules)', () => {
  const records = [record('a'), record('b'), record('c')];

  it('treats no response or no batchItemFailures as success', () => {
    expect(succeededRecords(records, undefined)).toEqual({ ok: records, failed: 0 });
    expect(succeededRecords(records, null)).toEqual({ ok: records, failed: 0 });
    expect(succeededRecords(records, { batchItemFailures: [] })).toEqual({ ok: records, failed: 0 });
  });

  it('keeps only the reported records', () => {
    expect(succeededRecords(records, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual({
      ok: [records[0], records[2]],
      failed: 1,
    });
  });

  it('fails the whole batch on an empty or unknown itemIdentifier', () => {
    expect(succeededRecords(records, { batchItemFailures: [{ itemIdentifier: '' }] }).ok).toEqual([]);
    expect(succeededRecords(records, { batchItemFailures: [{ itemIdentifier: 'zzz' }] }).ok).toEqual([]);
    expect(succeededRecords(records, { batchItemFailures: 'nope' }).ok).toEqual([]);
  });
});

describe('SQS event source mapping on local-aws-sqs', () => {
  let server: Server;
  let sqs: SQSClient;

  beforeAll(async () => {
    const port = await freePort();
    server = await createSqsServer({
      port,
      hostname: '127.0.0.1',
      accountId: '000000000000',
      emulateQueueCreationLifecycle: false,
    });
    sqs = createLocalSqsClient(`http://127.0.0.1:${port}`, 'us-east-1');
  });
  afterAll(async () => {
    sqs.destroy();
    await new Promise((done) => server.close(done));
  });

  async function queueWith(name: string, settings: Partial<QueueSettings>): Promise<LocalQueue> {
    const full: QueueSettings = {
      name: 'persist',
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 2,
      batchSize: 10,
      maxBatchingWindowMs: 100,
      maxConcurrency: 2,
      retentionDays: 1,
      consumer: 'writer',
      ...settings,
    };
    const arnOf = async (url: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
        .Attributes?.QueueArn as string;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl as string;
    const dlqArn = await arnOf(dlqUrl);
    const url = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(full.visibilityTimeoutSeconds),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: dlqArn,
              maxReceiveCount: full.maxReceiveCount,
            }),
          },
        }),
      )
    ).QueueUrl as string;
    return { settings: full, name, url, arn: await arnOf(url), dlqName: `${name}-dlq`, dlqUrl, dlqArn };
  }

  function consumer(respond: (event: SQSEvent) => Promise<unknown>) {
    const events: SQSEvent[] = [];
    let running = 0;
    let maxRunning = 0;
    const fn: LocalFunction = {
      name: 'writer',
      timeoutMs: 5_000,
      invoke: async (event) => {
        events.push(event as SQSEvent);
        running++;
        maxRunning = Math.max(maxRunning, running);
        try {
          return await respond(event as SQSEvent);
        } finally {
          running--;
        }
      },
    };
    return { fn, events, maxRunning: () => maxRunning };
  }

  async function send(queue: LocalQueue, bodies: string[]) {
    for (let start = 0; start < bodies.length; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: bodies.slice(start, start + 10).map((body, index) => ({
            Id: String(index),
            MessageBody: body,
            MessageAttributes: { type: { DataType: 'String', StringValue: 'bid.accepted' } },
          })),
        }),
      );
    }
  }

  const until = async (condition: () => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((done) => setTimeout(done, 25));
    }
  };

  it('builds Lambda SQS records, batches up to batchSize and respects maxConcurrency', async () => {
    const queue = await queueWith('batches', { batchSize: 10, maxConcurrency: 2, maxBatchingWindowMs: 200 });
    const target = consumer(async () => {
      await new Promise((done) => setTimeout(done, 50));
      return { batchItemFailures: [] };
    });
    const mapping = new SqsEventSourceMapping(sqs, queue, target.fn, 'us-east-1');
    await send(
      queue,
      Array.from({ length: 35 }, (_, i) => `m${i}`),
    );
    mapping.start();
    await until(() => mapping.stats.deleted === 35);
    await mapping.stop(1_000);

    expect(target.events.every((event) => event.Records.length <= 10)).toBe(true);
    expect(target.maxRunning()).toBeLessThanOrEqual(2);
    const bodies = target.events.flatMap((event) => event.Records.map((r) => r.body)).sort();
    expect(new Set(bodies).size).toBe(35);
    const first = target.events[0]?.Records[0] as SQSRecord;
    expect(first).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: { type: { dataType: 'String', stringValue: 'bid.accepted', stringListValues: [] } },
    });
    expect(first.messageId).toBeTruthy();
    expect(first.receiptHandle).toBeTruthy();
    expect(Number(first.attributes.SentTimestamp)).toBeGreaterThan(0);
  });

  it('deletes the successes of a partial batch, retries the failure after the visibility timeout, then redrives it to the DLQ', async () => {
    const queue = await queueWith('partial', { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const target = consumer(async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
        itemIdentifier: r.messageId,
      })),
    }));
    const mapping = new SqsEventSourceMapping(sqs, queue, target.fn, 'us-east-1');
    await send(queue, ['ok-1', 'poison', 'ok-2']);
    mapping.start();

    const poisonReceives = () =>
      target.events.flatMap((event) => event.Records.filter((r) => r.body === 'poison'));
    await until(() => poisonReceives().length >= 2);
    // Give SQS the chance to move it: the receive after the 2nd failure sends it to the DLQ.
    const dead = await (async () => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const result = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['All'], WaitTimeSeconds: 1 }),
        );
        if (result.Messages?.length) return result.Messages;
        if (Date.now() > deadline) throw new Error('nothing reached the DLQ');
      }
    })();
    await mapping.stop(1_000);

    expect(mapping.stats.deleted).toBe(2);
    expect(poisonReceives().map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    const okBodies = target.events
      .flatMap((event) => event.Records.map((r) => r.body))
      .filter((b) => b !== 'poison');
    expect(okBodies.sort()).toEqual(['ok-1', 'ok-2']);
    expect(dead.map((m) => m.Body)).toEqual(['poison']);
    expect(dead[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(queue.arn);
  });

  it('returns the whole batch when the invocation throws', async () => {
    const queue = await queueWith('throws', { visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    let calls = 0;
    const target = consumer(async () => {
      calls++;
      if (calls === 1) throw new Error('cold start failed');
      return undefined;
    });
    const mapping = new SqsEventSourceMapping(sqs, queue, target.fn, 'us-east-1');
    await send(queue, ['x', 'y']);
    mapping.start();
    await until(() => mapping.stats.deleted === 2);
    await mapping.stop(1_000);
    expect(mapping.stats.failedInvocations).toBe(1);
    const retried = target.events
      .slice(1)
      .flatMap((event) => event.Records.map((r) => r.attributes.ApproximateReceiveCount));
    expect(retried.every((count) => count === '2')).toBe(true);
  });
});
