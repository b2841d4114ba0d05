import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { WebSocket } from 'ws';
import { readEnvironment } from '../functions/config.js';
import { composeFanOut } from '../functions/fanout/compose.js';
import type { Counter } from '../functions/realtime/ports.js';
import {
  handleWsEvent,
  type WsDeps,
  type WsEvent,
} from '../functions/realtime/use-cases/connection-events.js';
import { type FanOutRecord, fanOut } from '../functions/realtime/use-cases/fan-out.js';
import { composeWs } from '../functions/ws/compose.js';
import {
  startWebSocketGateway,
  type WebSocketGateway,
  type WebSocketGatewayOptions,
} from '../local-aws/index.js';
import { createHttpFixture, type HttpFixture, quietLogger } from './support/http-fixture.js';
import { TEST_JWT_SECRET } from './support/tokens.js';

export interface TestClient {
  socket: WebSocket;
  /** Raw text messages in arrival order. */
  messages: string[];
  closed: boolean;
  closeCode: number | undefined;
  closeReason: string | undefined;
  /** Parsed JSON messages in arrival order. */
  json<T = Record<string, unknown>>(): T[];
  close(): Promise<void>;
}

/** A real `ws` client that records everything it receives; rejects when the handshake is refused. */
export function connectClient(url: string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const client: TestClient = {
      socket,
      messages: [],
      closed: false,
      closeCode: undefined,
      closeReason: undefined,
      json: <T>() => client.messages.map((message) => JSON.parse(message) as T),
      close: () =>
        new Promise<void>((done) => {
          if (client.closed) return done();
          socket.once('close', () => done());
          socket.close();
        }),
    };
    socket.on('message', (data) => client.messages.push(data.toString()));
    socket.on('close', (code, reason) => {
      client.closed = true;
      client.closeCode = code;
      client.closeReason = reason.toString();
    });
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`handshake refused: ${response.statusCode}`));
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

/** A client subscribed to `topic`, once its first message (`subscribed` or an error) arrived. */
export async function subscribedClient(url: string, topic: string): Promise<TestClient> {
  const client = await connectClient(url);
  client.socket.send(JSON.stringify({ action: 'subscribe', topic }));
  await waitFor(() => client.messages.length > 0, 5_000, 'subscribed');
  return client;
}

export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface RealtimeStackOptions {
  redisUrl: string;
  cluster?: boolean;
  sqsEndpoint: string;
  gateway?: Pick<WebSocketGatewayOptions, 'idleTimeoutMs' | 'managementRate'>;
  /** Records per fan-out invocation (Lambda's batch size) and how long to gather them. */
  batchSize?: number;
  batchWindowMs?: number;
  /**
   * Receivers per wave part (FANOUT_PART_SIZE). Small by default, so that every test with a few
   * watchers also sends its waves in parts, pointed at through the real fanout queue.
   */
  partSize?: number;
  /** More environment of the ws and fan-out functions (e.g. the WebSocket limits). */
  env?: Record<string, string>;
  /** More environment of the HTTP function. */
  httpEnv?: Record<string, string>;
}

/**
 * The real pieces wired as on AWS: the HTTP app (real Redis, real SQS protocol), the local
 * WebSocket gateway invoking the ws handler, and a poller that feeds the fanout queue to the
 * fan-out handler the way Lambda's event source mapping does (batches, partial failures).
 */
export async function startRealtimeStack(options: RealtimeStackOptions) {
  const http: HttpFixture = await createHttpFixture({
    redisUrl: options.redisUrl,
    cluster: options.cluster ?? false,
    sqsEndpoint: options.sqsEndpoint,
    ...(options.httpEnv ? { env: options.httpEnv } : {}),
  });
  let wsDeps: WsDeps | undefined;
  const gateway: WebSocketGateway = await startWebSocketGateway({
    handler: (event) => {
      if (!wsDeps) throw new Error('ws function not ready');
      return handleWsEvent(wsDeps, event as unknown as WsEvent);
    },
    ...options.gateway,
  });
  const env = readEnvironment({
    REDIS_URL: options.redisUrl,
    REDIS_CLUSTER: options.cluster ? 'true' : 'false',
    JWT_SECRET: TEST_JWT_SECRET,
    WS_MANAGEMENT_ENDPOINT: gateway.managementEndpoint,
    FANOUT_CONCURRENCY: '64',
    FANOUT_QUEUE_URL: http.fanoutQueueUrl,
    FANOUT_PART_SIZE: String(options.partSize ?? 4),
    SQS_ENDPOINT: options.sqsEndpoint,
    ...options.env,
  });
  const ws = await composeWs(quietLogger, env);
  wsDeps = ws.deps;
  const counts: Record<string, number> = {};
  const metrics: Counter = { count: (name, value) => (counts[name] = (counts[name] ?? 0) + value) };
  const fan = await composeFanOut(quietLogger, metrics, env);

  const batchSize = options.batchSize ?? 100;
  const batchWindowMs = options.batchWindowMs ?? 20;
  let paused = false;
  let stopped = false;
  const failures: string[] = [];
  const poll = async () => {
    while (!stopped) {
      if (paused) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const records: (FanOutRecord & { receipt: string })[] = [];
      const windowEnd = Date.now() + batchWindowMs;
      while (records.length < batchSize && !stopped) {
        const received = await http.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: http.fanoutQueueUrl,
            MaxNumberOfMessages: Math.min(10, batchSize - records.length),
            // local-aws-sqs answers a long poll only when the wait is over, even if messages came
            // in meanwhile; an empty short poll takes ~45 ms there, which paces this loop.
            WaitTimeSeconds: 0,
            VisibilityTimeout: 5,
          }),
        );
        for (const message of received.Messages ?? []) {
          records.push({
            messageId: message.MessageId as string,
            body: message.Body as string,
            receipt: message.ReceiptHandle as string,
          });
        }
        if ((received.Messages ?? []).length === 0 && (records.length > 0 || Date.now() > windowEnd)) break;
        if (Date.now() > windowEnd && records.length > 0) break;
      }
      if (records.length === 0) continue;
      const result = await fanOut(fan.deps, records);
      const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
      failures.push(...failed);
      const done = records.filter((record) => !failed.has(record.messageId));
      for (let start = 0; start < done.length; start += 10) {
        await http.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: http.fanoutQueueUrl,
            Entries: done.slice(start, start + 10).map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receipt,
            })),
          }),
        );
      }
    }
  };
  const polling = poll();

  return {
    http,
    gateway,
    wsDeps: ws.deps,
    fanOutDeps: fan.deps,
    counts,
    failures,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    async stop() {
      stopped = true;
      await polling;
      await gateway.close();
      await ws.close();
      await fan.close();
      await http.close();
    },
  };
}

export type RealtimeStack = Awaited<ReturnType<typeof startRealtimeStack>>;
