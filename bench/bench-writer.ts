/**
 * `npm run bench:writer`: rows/s persisted by the writer from a full persist queue, with the same
 * rows written as single-row statements in the same run as the reference.
 *
 *   BENCH_EVENTS (default 50000)  events (auction.created + bid.accepted across BENCH_AUCTIONS auctions)
 *   BENCH_AUCTIONS (default 500)  events are interleaved, so every batch touches ~100 auctions
 *   BENCH_CONCURRENCY (default 5) concurrent writer invocations (the persist queue's maxConcurrency)
 *   BENCH_DATABASE_ADMIN_URL      where to create the scratch databases (default: the machine's PostgreSQL)
 *   BENCH_PG_PREPARE=false        no named prepared statements (as through RDS Proxy)
 *
 * Phases: (1) fill a local-aws-sqs queue; (2) drain it through a Lambda-like event source (batches of
 * 100) into the writer: the end-to-end figure, bounded here by the in-process SQS emulator; (3) the
 * writer alone on the same batches as they came off the queue (what the Lambda spends on them);
 * (4) the reference: the same events as single-row INSERT / upsert statements at the same concurrency.
 */
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createPostgresClient, type Sql } from '../functions/adapters/postgres/client.js';
import { PostgresEventSink } from '../functions/adapters/postgres/postgres-event-sink.js';
import type { EventEnvelope } from '../functions/domain/events.js';
import type { LogSink } from '../functions/ports/logger.js';
import { createWriterHandler } from '../functions/writer/handler.js';
import { createTestDatabase } from '../test/support/postgres-database.js';
import { SqsEventSource } from '../test/support/sqs-event-source.js';
import { startLocalSqs } from '../test/support/sqs-server.js';

if (process.env.BENCH_DATABASE_ADMIN_URL)
  process.env.TEST_DATABASE_ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const AUCTIONS = Number(process.env.BENCH_AUCTIONS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 5);
const BATCH = 100;

const quiet: LogSink = {
  warn: () => undefined,
  error: (message, ...extra) => console.error(message, ...extra),
};

/** Events shaped exactly as the scripts make them (raw string records), interleaved across auctions. */
function makeEvents(): EventEnvelope[] {
  const start = Date.now();
  const states = Array.from({ length: AUCTIONS }, (_, index) => ({
    id: `bench-${index}`,
    title: `Bench lot ${index}`,
    sellerId: 'seller',
    startingPrice: '1000',
    minIncrement: '10',
    reservePrice: '',
    startsAt: String(start),
    endsAt: String(start + 3_600_000),
    antiWindow: '',
    antiExtend: '',
    antiMax: '',
    extensions: '0',
    currentPrice: '',
    leaderId: '',
    bidCount: '0',
    seq: '1',
    createdAt: String(start),
    closedAt: '',
  }));
  const events: EventEnvelope[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const state = states[i % AUCTIONS] as (typeof states)[number];
    const seq = Math.floor(i / AUCTIONS) + 1;
    const occurredAt = start + i;
    if (seq === 1) {
      events.push({
        eventId: `a:${state.id}:1`,
        type: 'auction.created',
        entityType: 'auction',
        entityId: state.id,
        seq: 1,
        occurredAt,
        payload: { state: { ...state } },
      });
      continue;
    }
    const amount = 1_000 + (seq - 2) * 10;
    const bidderId = `bidder-${seq % 7}`;
    state.seq = String(seq);
    state.currentPrice = String(amount);
    state.leaderId = bidderId;
    state.bidCount = String(seq - 1);
    const bid = {
      id: `${state.id}-b${seq}`,
      auctionId: state.id,
      bidderId,
      amount: String(amount),
      seq,
      placedAt: occurredAt,
    };
    events.push({
      eventId: `a:${state.id}:${seq}`,
      type: 'bid.accepted',
      entityType: 'auction',
      entityId: state.id,
      seq,
      occurredAt,
      payload: { state: { ...state }, bid, extended: false },
    });
  }
  return events;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function countRows(sql: Sql) {
  const [row] = await sql<{ events: number; bids: number; auctions: number }[]>`
    SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM bids)::int AS bids,
           (SELECT count(*) FROM auctions)::int AS auctions`;
  return row as { events: number; bids: number; auctions: number };
}

async function truncate(sql: Sql) {
  await sql`TRUNCATE events, auctions, bids, auction_results, products, orders, payment_events`;
}

/** The reference: one statement per row, the same rows, the same concurrency. */
async function singleRowInserts(sql: Sql, events: EventEnvelope[]): Promise<void> {
  await pool(events, CONCURRENCY, async (event) => {
    const state = (event.payload as { state: Record<string, string> }).state;
    await sql`
      INSERT INTO events (event_id, entity_type, entity_id, seq, type, occurred_at, payload)
      VALUES (${event.eventId}, ${event.entityType}, ${event.entityId}, ${event.seq}, ${event.type},
        to_timestamp(${event.occurredAt}::bigint / 1000.0), ${sql.json(event.payload as never)})
      ON CONFLICT (event_id) DO NOTHING`;
    const bid = (event.payload as { bid?: Record<string, string | number> }).bid;
    if (bid) {
      await sql`
        INSERT INTO bids (id, auction_id, bidder_id, amount, seq, placed_at)
        VALUES (${String(bid.id)}, ${event.entityId}, ${String(bid.bidderId)}, ${Number(bid.amount)}, ${event.seq},
          to_timestamp(${Number(bid.placedAt)}::bigint / 1000.0))
        ON CONFLICT DO NOTHING`;
    }
    await sql`
      INSERT INTO auctions AS a (id, title, seller_id, starting_price, min_increment, reserve_price, starts_at,
        ends_at, extensions, current_price, leader_id, bid_count, seq, created_at, closed_at, state, last_event_at)
      VALUES (${state.id as string}, ${state.title as string}, ${state.sellerId as string}, ${Number(state.startingPrice)},
        ${Number(state.minIncrement)}, NULL, to_timestamp(${Number(state.startsAt)}::bigint / 1000.0),
        to_timestamp(${Number(state.endsAt)}::bigint / 1000.0), 0,
        ${state.currentPrice === '' ? null : Number(state.currentPrice)}, ${state.leaderId === '' ? null : (state.leaderId as string)},
        ${Number(state.bidCount)}, ${event.seq}, to_timestamp(${Number(state.createdAt)}::bigint / 1000.0), NULL,
        ${sql.json(state)}, to_timestamp(${event.occurredAt}::bigint / 1000.0))
      ON CONFLICT (id) DO UPDATE SET current_price = excluded.current_price, leader_id = excluded.leader_id,
        bid_count = excluded.bid_count, seq = excluded.seq, state = excluded.state, last_event_at = excluded.last_event_at
      WHERE excluded.seq > a.seq`;
  });
}

async function main() {
  console.log(
    `bench:writer: ${fmt(EVENTS)} events over ${AUCTIONS} auctions, batches of ${BATCH}, concurrency ${CONCURRENCY}`,
  );
  const events = makeEvents();
  const database = await createTestDatabase('live_sale_bench');
  // BENCH_PG_PREPARE=false: no named prepared statements, as the functions connect through RDS Proxy.
  const url = new URL(database.url);
  if (process.env.BENCH_PG_PREPARE === 'false') url.searchParams.set('prepare', 'false');
  console.log(`prepared statements: ${url.searchParams.get('prepare') === 'false' ? 'off' : 'on'}`);
  const sql = createPostgresClient({ url: url.toString(), max: CONCURRENCY, name: 'bench-writer' });
  const localSqs = await startLocalSqs([]);
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: localSqs.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { QueueUrl: queueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'bench-persist', Attributes: { VisibilityTimeout: '60' } }),
    );
    if (!queueUrl) throw new Error('no queue');

    // 1. Fill the queue.
    let started = performance.now();
    const chunks: EventEnvelope[][] = [];
    for (let i = 0; i < events.length; i += 10) chunks.push(events.slice(i, i + 10));
    await pool(chunks, 16, async (chunk) => {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((event, index) => ({ Id: String(index), MessageBody: JSON.stringify(event) })),
        }),
      );
    });
    const fillMs = performance.now() - started;
    console.log(`  queue filled: ${fmt(EVENTS)} messages in ${seconds(fillMs)}`);

    // 2. Drain through the event source into the writer (end to end), keeping the batches.
    const batches: SQSEvent[] = [];
    let handlerMs = 0;
    let persisted = 0;
    const timedWriter = createWriterHandler({
      sink: new PostgresEventSink(sql),
      logger: quiet,
      observe: (outcome) => {
        persisted += outcome.persisted;
      },
    });
    const source = new SqsEventSource(
      sqs,
      async (event) => {
        batches.push(event);
        const t = performance.now();
        const response = await timedWriter(event);
        handlerMs += performance.now() - t;
        return response;
      },
      { queueUrl, batchSize: BATCH, maxBatchingWindowMs: 100, concurrency: CONCURRENCY, waitTimeSeconds: 0 },
    );
    started = performance.now();
    await source.start();
    while (persisted < EVENTS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (source.errors.length > 0) throw source.errors[0];
    }
    await source.stop();
    const drainMs = performance.now() - started;
    const afterDrain = await countRows(sql);
    const persistedRows = afterDrain.events + afterDrain.bids + afterDrain.auctions;
    console.log(
      `  drained through SQS: ${seconds(drainMs)}, ${batches.length} invocations, ` +
        `${fmt(EVENTS / (drainMs / 1000))} events/s end to end (local-aws-sqs receive+delete ~3k msg/s on this machine)`,
    );

    // 3. The writer alone on the same batches (fresh tables).
    await truncate(sql);
    let writtenRows = 0;
    const counting = createWriterHandler({
      sink: new PostgresEventSink(sql),
      logger: quiet,
      observe: (outcome) => {
        writtenRows += outcome.rows;
      },
    });
    started = performance.now();
    await pool(batches, CONCURRENCY, async (batch) => {
      const response = await counting(batch);
      if (response.batchItemFailures.length > 0) throw new Error('writer failed records');
    });
    const writerMs = performance.now() - started;
    const afterWriter = await countRows(sql);

    // 4. Reference: single-row statements, same events, same concurrency (fresh tables).
    await truncate(sql);
    started = performance.now();
    await singleRowInserts(sql, events);
    const singleMs = performance.now() - started;
    const afterSingle = await countRows(sql);

    const tableRows = (counts: typeof afterWriter) => counts.events + counts.bids + counts.auctions;
    console.log('');
    console.log(
      `  rows persisted (events + bids + auctions): ${fmt(tableRows(afterWriter))}` +
        ` (${fmt(afterWriter.events)} + ${fmt(afterWriter.bids)} + ${fmt(afterWriter.auctions)}); row writes incl. auction updates: ${fmt(writtenRows)}`,
    );
    console.log('');
    console.log('  | path                                     | time     | events/s | rows/s   |');
    console.log('  | ---------------------------------------- | -------- | -------- | -------- |');
    const line = (name: string, ms: number, rowCount: number) =>
      console.log(
        `  | ${name.padEnd(40)} | ${seconds(ms).padStart(8)} | ${fmt(EVENTS / (ms / 1000)).padStart(8)} | ${fmt(rowCount / (ms / 1000)).padStart(8)} |`,
      );
    line(`writer alone, the drained batches`, writerMs, tableRows(afterWriter));
    line('writer, end to end through local SQS', drainMs, persistedRows);
    line('reference: single-row statements', singleMs, tableRows(afterSingle));
    console.log('');
    console.log(
      `  writer vs single-row: ${(singleMs / writerMs).toFixed(1)}x faster; writer busy time during the drain: ` +
        `${seconds(handlerMs / CONCURRENCY)} per poller`,
    );
    const target = 20_000;
    const rate = tableRows(afterWriter) / (writerMs / 1000);
    console.log(
      `  target >= ${fmt(target)} rows/s: ${rate >= target ? 'met' : 'NOT met'} (${fmt(rate)} rows/s)`,
    );
    if (tableRows(afterSingle) !== tableRows(afterWriter))
      console.log('  WARNING: row counts differ between the runs');
  } finally {
    sqs.destroy();
    await localSqs.stop();
    await sql.end();
    await database.drop();
  }
}

await main();
