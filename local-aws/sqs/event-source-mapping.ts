import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import {
  type SqsMessage as Message,
  type SqsMessageAttribute as MessageAttributeValue,
  SqsJsonClient,
} from '../../functions/adapters/sqs/sqs-json-client.js';
import type { LocalFunction } from '../lambda/functions.js';
import { describeError, log } from '../shared/log.js';
import type { LocalQueue } from './sqs-server.js';

/** Lambda invokes with at most 6 MB of payload; a batch stops growing before that. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const LONG_POLL_SECONDS = 20;
/** Pause between empty short polls while a batching window is open. */
const WINDOW_POLL_MS = 10;

export interface EventSourceMappingStats {
  batches: number;
  received: number;
  deleted: number;
  /** Records reported in batchItemFailures, or in a batch whose invocation failed. */
  failed: number;
  /** Invocations that threw or timed out (every record of the batch comes back). */
  failedInvocations: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Binary values arrive in base64 over the JSON protocol, as Lambda passes them on. */
function toRecordAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const lists = value as { StringListValues?: string[]; BinaryListValues?: string[] };
    result[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
      stringListValues: lists.StringListValues ?? [],
      binaryListValues: lists.BinaryListValues ?? [],
    };
  }
  return result;
}

/** The record Lambda builds from a received message. */
export function toSqsRecord(message: Message, queue: LocalQueue, region: string): SQSRecord {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ...(message.Attributes ?? {}) } as unknown as SQSRecord['attributes'],
    messageAttributes: toRecordAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * Which records to delete after an invocation, with Lambda's rules for `reportBatchItemFailures`:
 * no response or no `batchItemFailures` means all succeeded; a failure entry whose
 * `itemIdentifier` is empty or not in the batch fails the whole batch.
 */
export function succeededRecords(
  records: readonly SQSRecord[],
  response: unknown,
): { ok: SQSRecord[]; failed: number } {
  const failures = (response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return { ok: [...records], failed: 0 };
  if (!Array.isArray(failures)) return { ok: [], failed: records.length };
  const ids = new Set(records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return { ok: [], failed: records.length };
    failed.add(id);
  }
  return { ok: records.filter((record) => !failed.has(record.messageId)), failed: failed.size };
}

/**
 * A poller that behaves like Lambda's SQS event source mapping: long polling, batches of up to
 * `batchSize` gathered during `maxBatchingWindowMs`, at most `maxConcurrency` concurrent
 * invocations, partial batch responses (failed records are not deleted and come back after the
 * queue's visibility timeout; SQS moves them to the DLQ after `maxReceiveCount` receives).
 */
export class SqsEventSourceMapping {
  readonly stats: EventSourceMappingStats = {
    batches: 0,
    received: 0,
    deleted: 0,
    failed: 0,
    failedInvocations: 0,
  };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiters: (() => void)[] = [];
  private abort = new AbortController();
  private draining = false;
  /** The last receive found messages: the next batch starts with a short poll. */
  private busy = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /**
   * Lambda's pollers are AWS's own; these talk SQS's JSON protocol through the lean client of the
   * functions' hot path (sqs-json-client.ts): the SDK cost ~550 us of CPU per call on this loop.
   */
  private readonly client: SqsJsonClient;

  constructor(
    sdkClient: SQSClient,
    readonly queue: LocalQueue,
    private readonly fn: LocalFunction,
    private readonly region: string,
  ) {
    this.client = new SqsJsonClient({
      region: sdkClient.config.region,
      credentials: sdkClient.config.credentials,
    });
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops polling once the queue is empty (or after `drainMs`), then waits for running invocations. */
  async stop(drainMs: number): Promise<void> {
    this.draining = true;
    this.abort.abort();
    const deadline = sleep(drainMs).then(() => {
      this.stopped = true;
      this.abort.abort();
    });
    await Promise.race([this.loop, deadline]);
    this.stopped = true;
    this.abort.abort();
    await this.loop;
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(Math.max(drainMs, 1_000))]);
    await this.client.destroy();
  }

  private get label(): string {
    return `${this.queue.settings.name}->${this.fn.name}`;
  }

  private async acquire(): Promise<void> {
    while (this.inFlight.size >= this.queue.settings.maxConcurrency) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.acquire();
      if (this.stopped) break;
      let messages: Message[];
      try {
        messages = await this.collect();
      } catch (error) {
        if (this.stopped) break;
        if (this.abort.signal.aborted) {
          this.abort = new AbortController();
          continue;
        }
        log.warn('poller', `${this.label}: receive failed, retrying in 1 s: ${describeError(error)}`);
        await sleep(1_000);
        continue;
      }
      if (messages.length === 0) {
        if (this.draining) break;
        continue;
      }
      const invocation = this.invoke(messages).finally(() => {
        this.inFlight.delete(invocation);
        this.waiters.shift()?.();
      });
      this.inFlight.add(invocation);
    }
  }

  /**
   * Only a long poll is abortable (on stop): aborting a short poll races the server, which may have
   * taken the messages already, and would leave them invisible until their visibility timeout.
   */
  private receive(max: number, waitSeconds: number): Promise<Message[]> {
    return this.client.receiveMessage(this.queue.url, {
      max,
      waitSeconds,
      ...(waitSeconds > 0 ? { signal: this.abort.signal } : {}),
    });
  }

  /**
   * One batch. While the queue had messages at the last look, the first receive is a short poll for
   * a whole receive's worth (10): a busy queue then costs one receive per 10 messages, not two.
   * Otherwise it is a long poll for a single message: local-aws-sqs answers a long poll for more
   * only when it is full or its wait is over, while SQS answers as soon as one message is there.
   * The batching window then gathers the rest with short polls.
   */
  private async collect(): Promise<Message[]> {
    const { batchSize, maxBatchingWindowMs } = this.queue.settings;
    let batch: Message[] = [];
    if (this.busy) batch = await this.receive(Math.min(10, batchSize), 0);
    // Without a batching window, a short poll that found fewer than asked has all there is.
    let gather = maxBatchingWindowMs > 0 && !this.draining;
    if (batch.length === 0) {
      batch = await this.receive(1, this.draining ? 0 : LONG_POLL_SECONDS);
      gather = true;
    }
    this.busy = batch.length > 0;
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + (this.draining ? 0 : maxBatchingWindowMs);
    let bytes = 0;
    for (const message of batch) bytes += Buffer.byteLength(message.Body ?? '');
    while (gather && batch.length < batchSize && bytes < MAX_PAYLOAD_BYTES && !this.stopped) {
      let more: Message[];
      try {
        more = await this.receive(Math.min(10, batchSize - batch.length), 0);
      } catch {
        break; // stopping, or a transient error: the messages already received still get invoked
      }
      for (const message of more) {
        batch.push(message);
        bytes += Buffer.byteLength(message.Body ?? '');
      }
      const remaining = windowEnds - Date.now();
      if (remaining <= 0) break;
      if (more.length === 0) await sleep(Math.min(remaining, WINDOW_POLL_MS));
    }
    return batch;
  }

  private async invoke(messages: Message[]): Promise<void> {
    const records = messages.map((message) => toSqsRecord(message, this.queue, this.region));
    const event: SQSEvent = { Records: records };
    this.stats.batches++;
    this.stats.received += records.length;
    let response: unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      response = await Promise.race([
        this.fn.invoke(event),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`timed out after ${this.fn.timeoutMs} ms (on AWS the invocation is stopped)`)),
            this.fn.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      this.stats.failedInvocations++;
      this.stats.failed += records.length;
      log.error(
        'poller',
        `${this.label}: invocation with ${records.length} record(s) failed, they come back after ${this.queue.settings.visibilityTimeoutSeconds} s: ${describeError(error)}`,
      );
      return;
    } finally {
      clearTimeout(timer);
    }
    const { ok, failed } = succeededRecords(records, response);
    this.stats.failed += failed;
    if (failed > 0) {
      log.warn(
        'poller',
        `${this.label}: ${failed} of ${records.length} record(s) reported as failed; they come back after ${this.queue.settings.visibilityTimeoutSeconds} s`,
      );
    }
    await this.delete(ok);
  }

  private async delete(records: SQSRecord[]): Promise<void> {
    const chunks: SQSRecord[][] = [];
    for (let start = 0; start < records.length; start += 10) chunks.push(records.slice(start, start + 10));
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const result = await this.client.deleteMessageBatch(
            this.queue.url,
            chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
          );
          this.stats.deleted += result.Successful?.length ?? 0;
          if (result.Failed?.length) {
            log.warn(
              'poller',
              `${this.label}: ${result.Failed.length} delete(s) refused: ${result.Failed[0]?.Message}`,
            );
          }
        } catch (error) {
          log.warn('poller', `${this.label}: delete failed, the records come back: ${describeError(error)}`);
        }
      }),
    );
  }
}
