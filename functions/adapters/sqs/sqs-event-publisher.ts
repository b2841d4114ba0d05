import type { SQSClient } from '@aws-sdk/client-sqs';
import type { EventEnvelope } from '../../domain/events.js';
import type { EventPublisher } from '../../ports/event-publisher.js';
import { SqsJsonClient } from './sqs-json-client.js';

type BatchSender = Pick<SqsJsonClient, 'sendMessageBatch'>;

const SQS_BATCH_LIMIT = 10;

export interface SqsQueues {
  persistQueueUrl: string;
  fanoutQueueUrl: string;
}

interface PendingEntry {
  event: EventEnvelope;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Sends events with SendMessageBatch. Events sent in the same tick are coalesced into batches of up
 * to 10: in a Lambda (one request at a time) that changes nothing, in a long-lived server (local
 * runtime, benchmarks) it turns thousands of concurrent single sends into a tenth as many requests.
 * Each event's promise settles with its own entry's outcome.
 */
class CoalescingQueueSender {
  private pending: PendingEntry[] = [];
  private flushScheduled = false;

  constructor(
    private readonly sqs: BatchSender,
    private readonly queueUrl: string,
    /**
     * Fan-out only needs the newest state of an entity (every message carries the full state):
     * events of one entity waiting in the same tick are conflated to the highest seq.
     */
    private readonly conflate: boolean,
    /** How long a partial batch waits for company; 0 = until the end of the current tick. */
    private readonly coalesceMs: number,
  ) {}

  send(events: readonly EventEnvelope[]): Promise<void> {
    const sent = events.map(
      (event) => new Promise<void>((resolve, reject) => this.pending.push({ event, resolve, reject })),
    );
    if (!this.conflate) {
      while (this.pending.length >= SQS_BATCH_LIMIT) this.flush(this.pending.splice(0, SQS_BATCH_LIMIT));
    }
    if (this.pending.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      const flushAll = () => {
        this.flushScheduled = false;
        const waiting = this.conflate ? conflateByEntity(this.pending) : this.pending;
        this.pending = [];
        while (waiting.length > 0) this.flush(waiting.splice(0, SQS_BATCH_LIMIT));
      };
      if (this.coalesceMs > 0) setTimeout(flushAll, this.coalesceMs);
      else setImmediate(flushAll);
    }
    return Promise.all(sent).then(() => undefined);
  }

  private flush(batch: PendingEntry[]): void {
    this.sqs
      .sendMessageBatch(
        this.queueUrl,
        batch.map(({ event }, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(event),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: event.type },
            entity: { DataType: 'String', StringValue: `${event.entityType}:${event.entityId}` },
          },
        })),
      )
      .then((result) => {
        const failed = new Map((result.Failed ?? []).map((failure) => [failure.Id, failure]));
        batch.forEach((entry, index) => {
          const failure = failed.get(String(index));
          if (failure)
            entry.reject(new Error(`SQS refused ${entry.event.eventId}: ${failure.Code} ${failure.Message}`));
          else entry.resolve();
        });
      })
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error : new Error(String(error));
        for (const entry of batch) entry.reject(reason);
      });
  }
}

/** Keeps the highest-seq event per entity; the others settle with it. */
function conflateByEntity(entries: PendingEntry[]): PendingEntry[] {
  const newest = new Map<string, PendingEntry & { followers: PendingEntry[] }>();
  for (const entry of entries) {
    const key = `${entry.event.entityType}:${entry.event.entityId}`;
    const current = newest.get(key);
    if (!current) {
      newest.set(key, { ...entry, followers: [] });
    } else if (entry.event.seq > current.event.seq) {
      newest.set(key, { ...entry, followers: [...current.followers, current] });
    } else {
      current.followers.push(entry);
    }
  }
  return [...newest.values()].map(({ followers, ...entry }) => ({
    event: entry.event,
    resolve: () => {
      entry.resolve();
      for (const follower of followers) follower.resolve();
    },
    reject: (error: Error) => {
      entry.reject(error);
      for (const follower of followers) follower.reject(error);
    },
  }));
}

export class SqsEventPublisher implements EventPublisher {
  private readonly persistSender: CoalescingQueueSender;
  private readonly fanoutSender: CoalescingQueueSender;

  /**
   * `coalesceMs` > 0 suits long-lived servers handling many requests at once (local runtime); a
   * Lambda serves one request at a time and keeps the default 0.
   */
  /**
   * `sqs`: the lean JSON client (sqs-json-client.ts); an SDK client is accepted for its endpoint's
   * credentials and region, and sent through a lean client made from them.
   */
  constructor(sqs: BatchSender | SQSClient, queues: SqsQueues, coalesceMs = 0) {
    if (!('sendMessageBatch' in sqs)) {
      sqs = new SqsJsonClient({ region: sqs.config.region, credentials: sqs.config.credentials });
    }
    this.persistSender = new CoalescingQueueSender(sqs, queues.persistQueueUrl, false, coalesceMs);
    this.fanoutSender = new CoalescingQueueSender(sqs, queues.fanoutQueueUrl, true, coalesceMs);
  }

  persist(events: readonly EventEnvelope[]): Promise<void> {
    return this.persistSender.send(events);
  }

  fanout(events: readonly EventEnvelope[]): Promise<void> {
    return this.fanoutSender.send(events);
  }
}
