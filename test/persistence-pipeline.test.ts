import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresClient, type Sql } from '../functions/adapters/postgres/client.js';
import { PostgresEventSink } from '../functions/adapters/postgres/postgres-event-sink.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import type { EventEnvelope } from '../functions/domain/events.js';
import { auctionWithBids, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { freePort } from './support/ports.js';
import { queueDepth, waitFor } from './support/sqs-event-source.js';

/**
 * Guarantee 3 end to end on the real SQS protocol (local-aws-sqs with a RedrivePolicy to a DLQ), a
 * Lambda-like event source and real PostgreSQL.
 */
describe('persist queue -> writer -> PostgreSQL', () => {
  let sql: Sql;
  let redis: RedisClient;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(() => {
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: `${inject('redisUrl')}/4`, cluster: false });
    cleanups.push(async () => {
      await sql.end();
      await redis.quit();
    });
  });
  afterEach(async () => {
    while (cleanups.length > 1) await cleanups.pop()?.();
  });
  afterAll(async () => {
    await cleanups.pop()?.();
  });

  const send = async (
    queueUrl: string,
    sqs: Awaited<ReturnType<typeof createPipeline>>['sqs'],
    bodies: string[],
  ) => {
    for (let start = 0; start < bodies.length; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies
            .slice(start, start + 10)
            .map((body, index) => ({ Id: String(index), MessageBody: body })),
        }),
      );
    }
  };
  const persistedSeq = async (id: string) =>
    Number((await sql`SELECT seq FROM auctions WHERE id = ${id}`)[0]?.seq ?? 0);

  it('persists duplicates and reordered deliveries exactly once in effect', async () => {
    const pipeline = await createPipeline(inject('sqsEndpoint'), sql, { batchSize: 7 });
    cleanups.push(() => pipeline.close());
    const { id, events } = await auctionWithBids(redis, 20);
    const bodies = [...events].reverse().flatMap((event) => [JSON.stringify(event), JSON.stringify(event)]);
    await send(pipeline.persist.queueUrl, pipeline.sqs, bodies);
    await pipeline.source.start();
    await waitFor(
      () => queueDepth(pipeline.sqs, pipeline.persist.queueUrl),
      (depth) => depth === 0,
    );
    expect(await persistedSeq(id)).toBe(21);
    expect(Number((await sql`SELECT count(*)::int AS n FROM bids WHERE auction_id = ${id}`)[0]?.n)).toBe(20);
    expect(Number((await sql`SELECT count(*)::int AS n FROM events WHERE entity_id = ${id}`)[0]?.n)).toBe(21);
  });

  it('fails a poison message alone, retries it, and moves it to the DLQ after maxReceiveCount receives', async () => {
    const pipeline = await createPipeline(inject('sqsEndpoint'), sql, { maxReceiveCount: 3 });
    cleanups.push(() => pipeline.close());
    const { id, events } = await auctionWithBids(redis, 3);
    // A well-formed envelope whose payload no script would produce: refused by the store.
    const poison = JSON.stringify({
      ...(events[1] as EventEnvelope),
      eventId: `a:${id}:99`,
      seq: 99,
      payload: { state: { id } },
    });
    await send(pipeline.persist.queueUrl, pipeline.sqs, [
      ...events.map((event) => JSON.stringify(event)),
      poison,
    ]);
    await pipeline.source.start();
    await waitFor(
      () => persistedSeq(id),
      (seq) => seq === 4,
    );
    await waitFor(
      () => queueDepth(pipeline.sqs, pipeline.persist.dlqUrl),
      (depth) => depth === 1,
      20_000,
    );
    expect(await queueDepth(pipeline.sqs, pipeline.persist.queueUrl)).toBe(0);
    const parked = await pipeline.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pipeline.persist.dlqUrl,
        AttributeNames: ['All'],
        MaxNumberOfMessages: 10,
      }),
    );
    expect(parked.Messages?.map((message) => message.Body)).toEqual([poison]);
    // Retried (failed alone each time) until the receive count reached maxReceiveCount. The counts
    // come from SQS (local-aws-sqs sometimes hands out a message twice within one batching window).
    const counts = pipeline.receiveCounts.get(poison) ?? [];
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(counts.at(-1)).toBe(3);
    await waitFor(
      async () => pipeline.logger.lines.filter((line) => line.includes('event refused by the store')).length,
      (refusals) => refusals >= 2,
    );
    // The poison never held the valid events back.
    expect(Number((await sql`SELECT count(*)::int AS n FROM bids WHERE auction_id = ${id}`)[0]?.n)).toBe(3);
  });

  it('keeps events waiting in SQS while PostgreSQL is down, then lands all of them', async () => {
    const pipeline = await createPipeline(inject('sqsEndpoint'), sql, { maxReceiveCount: 50 });
    cleanups.push(() => pipeline.close());
    const down = createPostgresClient({
      url: `postgres://postgres@127.0.0.1:${await freePort()}/test`,
      max: 1,
    });
    cleanups.push(() => down.end());
    pipeline.sink.current = new PostgresEventSink(down);
    const { id, events } = await auctionWithBids(redis, 30);
    await send(
      pipeline.persist.queueUrl,
      pipeline.sqs,
      events.map((event) => JSON.stringify(event)),
    );
    await pipeline.source.start();
    // Several delivery rounds fail as a whole batch; nothing is lost, nothing reaches the DLQ.
    await waitFor(
      async () => pipeline.logger.lines.filter((line) => line.includes('event store unavailable')).length,
      (failures) => failures >= 3,
    );
    expect(await persistedSeq(id)).toBe(0);
    // (local-aws-sqs counts in-flight messages in both ApproximateNumberOfMessages and NotVisible.)
    expect(await queueDepth(pipeline.sqs, pipeline.persist.queueUrl)).toBeGreaterThanOrEqual(31);
    expect(await queueDepth(pipeline.sqs, pipeline.persist.dlqUrl)).toBe(0);
    pipeline.sink.current = new PostgresEventSink(sql);
    await waitFor(
      () => queueDepth(pipeline.sqs, pipeline.persist.queueUrl),
      (depth) => depth === 0,
    );
    expect(await persistedSeq(id)).toBe(31);
    expect(Number((await sql`SELECT count(*)::int AS n FROM bids WHERE auction_id = ${id}`)[0]?.n)).toBe(30);
  });

  it('a message that is not even JSON fails alone as well', async () => {
    const pipeline = await createPipeline(inject('sqsEndpoint'), sql, { maxReceiveCount: 2 });
    cleanups.push(() => pipeline.close());
    await pipeline.sqs.send(
      new SendMessageCommand({ QueueUrl: pipeline.persist.queueUrl, MessageBody: '{"oops"' }),
    );
    await pipeline.source.start();
    await waitFor(
      () => queueDepth(pipeline.sqs, pipeline.persist.dlqUrl),
      (depth) => depth === 1,
    );
  });
});
