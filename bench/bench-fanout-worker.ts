/**
 * The child processes of `npm run bench:fanout` (see bench-fanout.ts), bundled with esbuild like the
 * Lambdas and selected by BENCH_ROLE:
 * - gateway:  the local WebSocket gateway invoking the real ws handler (as API Gateway + ws Lambda);
 * - fanout:   a poller on the fanout queue invoking the real fan-out handler (as SQS -> Lambda);
 * - watchers: N WebSocket clients subscribed to one auction, measuring update-to-watcher latency.
 * Each talks to the orchestrator over IPC.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { WebSocket } from 'ws';
import { readEnvironment } from '../functions/config.js';
import { composeFanOut } from '../functions/fanout/compose.js';
import { fanOut } from '../functions/fanout/fan-out.js';
import { composeWs } from '../functions/ws/compose.js';
import { handleWsEvent, type WsDeps, type WsEvent } from '../functions/ws/handle-event.js';
import { startWebSocketGateway } from '../scripts/local/websocket-gateway.js';

const role = process.env.BENCH_ROLE;
const send = (message: Record<string, unknown>) => process.send?.(message);
const silent = { warn: () => undefined, error: (message: string) => console.error(message) };
/** CPU time used by this process so far, ms (robust to a noisy shared machine, unlike wall time). */
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const onMessage = (handler: (message: Record<string, unknown>) => void | Promise<void>) =>
  process.on('message', (message) => void handler(message as Record<string, unknown>));

if (role === 'gateway') {
  let deps: WsDeps | undefined;
  const gateway = await startWebSocketGateway({
    handler: (event) => handleWsEvent(deps as WsDeps, event as unknown as WsEvent),
    onError: (message, error) => console.error(message, error),
  });
  const env = readEnvironment({ ...process.env, WS_MANAGEMENT_ENDPOINT: gateway.managementEndpoint });
  deps = (await composeWs(silent, env)).deps;
  send({ type: 'ready', url: gateway.url, managementEndpoint: gateway.managementEndpoint });
  onMessage((message) => {
    if (message.type === 'report')
      send({ type: 'report', connections: gateway.connectionCount(), cpuMs: cpuMs() });
  });
}

if (role === 'fanout') {
  const counts: Record<string, number> = {};
  const { deps } = await composeFanOut(silent, {
    count: (name, value) => {
      counts[name] = (counts[name] ?? 0) + value;
    },
  });
  const env = readEnvironment();
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: env.SQS_ENDPOINT,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const queueUrl = env.FANOUT_QUEUE_URL as string;
  const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 100);
  const windowMs = Number(process.env.BENCH_BATCH_WINDOW_MS ?? 50);
  let invocations = 0;
  let busyMs = 0;
  let longestMs = 0;
  send({ type: 'ready' });
  onMessage((message) => {
    if (message.type === 'report') {
      send({ type: 'report', counts: { ...counts }, invocations, busyMs, longestMs, cpuMs: cpuMs() });
    }
  });
  // Like Lambda's event source mapping: gather up to batchSize records for at most windowMs, invoke,
  // delete what did not fail. local-aws-sqs only answers long polls at their end: short polls here.
  for (;;) {
    const records: { messageId: string; body: string; receipt: string }[] = [];
    const windowEnd = Date.now() + windowMs;
    do {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - records.length),
          WaitTimeSeconds: 0,
          VisibilityTimeout: 30,
        }),
      );
      const messages = received.Messages ?? [];
      for (const m of messages) {
        records.push({
          messageId: m.MessageId as string,
          body: m.Body as string,
          receipt: m.ReceiptHandle as string,
        });
      }
      if (messages.length === 0 && records.length > 0) break;
    } while (records.length < batchSize && (records.length === 0 || Date.now() < windowEnd));
    invocations++;
    const started = performance.now();
    const result = await fanOut(deps, records);
    const took = performance.now() - started;
    busyMs += took;
    longestMs = Math.max(longestMs, took);
    const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
    const done = records.filter((record) => !failed.has(record.messageId));
    for (let start = 0; start < done.length; start += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.slice(start, start + 10).map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receipt,
          })),
        }),
      );
    }
  }
}

if (role === 'watchers') {
  const url = process.env.BENCH_WS_URL as string;
  const topic = process.env.BENCH_TOPIC as string;
  const total = Number(process.env.BENCH_WATCHERS ?? 1_000);
  const concurrency = 200;
  // update-to-watcher latency histogram, 1 ms buckets up to 60 s
  let histogram = new Uint32Array(60_001);
  let received = 0;
  let subscribed = 0;
  let errors = 0;
  let outOfOrder = 0;
  const sockets: WebSocket[] = [];

  const open = () =>
    new Promise<void>((resolve) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      let lastSeq = -1;
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          resolve();
        }
      };
      socket.on('open', () => socket.send(JSON.stringify({ action: 'subscribe', topic })));
      socket.on('message', (data) => {
        const now = Date.now();
        const message = JSON.parse(data.toString()) as {
          type: string;
          seq?: number;
          lastBid?: { placedAt: string } | null;
        };
        if (typeof message.seq === 'number') {
          if (message.seq <= lastSeq) outOfOrder++;
          lastSeq = message.seq;
        }
        if (message.type === 'subscribed') {
          subscribed++;
          finish();
        } else if (message.type === 'auction.updated') {
          received++;
          if (message.lastBid) {
            const latency = Math.max(0, now - Date.parse(message.lastBid.placedAt));
            histogram[Math.min(latency, 60_000)] = (histogram[Math.min(latency, 60_000)] ?? 0) + 1;
          }
        } else if (message.type === 'error') {
          errors++;
          finish();
        }
      });
      socket.on('error', () => {
        errors++;
        finish();
      });
      sockets.push(socket);
    });

  let next = 0;
  let lastPrint = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await open();
        if (Date.now() - lastPrint > 1_000) {
          lastPrint = Date.now();
          send({ type: 'progress', subscribed, errors });
        }
      }
    }),
  );
  send({ type: 'ready', subscribed, errors });

  const percentile = (sorted: Uint32Array, count: number, p: number) => {
    const target = Math.ceil(count * p);
    let seen = 0;
    for (let ms = 0; ms < sorted.length; ms++) {
      seen += sorted[ms] ?? 0;
      if (seen >= target) return ms;
    }
    return sorted.length - 1;
  };
  onMessage((message) => {
    if (message.type === 'reset') {
      histogram = new Uint32Array(60_001);
      received = 0;
      outOfOrder = 0;
      send({ type: 'reset', cpuMs: cpuMs() });
    }
    if (message.type === 'report') {
      let count = 0;
      let max = 0;
      for (let ms = 0; ms < histogram.length; ms++) {
        count += histogram[ms] ?? 0;
        if ((histogram[ms] ?? 0) > 0) max = ms;
      }
      send({
        type: 'report',
        cpuMs: cpuMs(),
        received,
        outOfOrder,
        open: sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length,
        p50: percentile(histogram, count, 0.5),
        p99: percentile(histogram, count, 0.99),
        max,
      });
    }
  });
}
