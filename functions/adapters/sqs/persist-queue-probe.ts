import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** How long the probe's counts are cached by default (`cacheMs`). */
export const PERSIST_PROBE_CACHE_MS = 1_000;

export interface PersistQueueProbeOptions {
  persistQueueUrl: string;
  /** The persist queue's DLQ: an event parked there is not persisted either. */
  persistDlqUrl?: string | undefined;
  /**
   * How long after the fence the queue's counts are trusted. SQS counts are approximate and may lag
   * by about a minute after messages were sent, and a request that lost its race with the loss may
   * still be sending; the default covers both.
   */
  settleMs: number;
  /** Counts are cached this long, so a burst of reads of fenced entities costs one SQS call. */
  cacheMs?: number;
  /** At most this many dead letters are looked at to tell whose they are (more: nobody settles). */
  dlqPeekLimit?: number;
  /** Told of a check that failed (answered "not settled"): a missing grant must show in the logs. */
  onError?: (error: unknown) => void;
}

/** What the probe saw: the persist queue's depth, and whose events sit in the DLQ (null: unknown). */
interface Observation {
  at: number;
  persistDepth: number;
  deadLetterEntities: Set<string> | null;
}

/**
 * The recovery fence's view of the persist queue (ARCHITECTURE.md guarantee 5): an entity that
 * Redis lost may be rebuilt from PostgreSQL once nothing sent before the loss can still arrive. SQS
 * cannot be asked about one entity, so this asks about all of them: the persist queue has no message
 * visible, in flight or delayed, and its DLQ none either, and the settle time since the fence has
 * passed. Strict: under a sustained load the queue is rarely empty, and a lost entity keeps
 * answering 503 until a lull (a wrong answer is worse, see docs/persistence.md).
 */
export class PersistQueueProbe {
  private cached: Observation | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: PersistQueueProbeOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * `entity` (`auction:ID` / `product:ID`): a dead letter of another entity does not hold this one
   * back (issue 19: one poison event blocked every rebuild). A message still in the persist queue
   * does, whoever it belongs to (SQS cannot list in-flight messages); a poison message leaves it
   * for the DLQ after maxReceiveCount receives, which bounds that wait (visibility x receives).
   */
  async settled(fencedSince: number, entity?: string): Promise<boolean> {
    if (this.clock() - fencedSince < this.options.settleMs) return false;
    const seen = await this.observeOrNothing();
    if (seen === null || seen.persistDepth > 0) return false;
    if (seen.deadLetterEntities === null) return false;
    if (seen.deadLetterEntities.size === 0) return true;
    return entity !== undefined && !seen.deadLetterEntities.has(entity);
  }

  /** Nothing in the persist queue nor in its DLQ. */
  async drained(): Promise<boolean> {
    const seen = await this.observeOrNothing();
    return seen !== null && seen.persistDepth === 0 && seen.deadLetterEntities?.size === 0;
  }

  /**
   * Any error of SQS (AccessDenied on a role without the grant, throttling, a timeout) means "not
   * known to be settled": the entity stays fenced and answers 503 + Retry-After, never a 500 (issue
   * 24). The error is reported, since a missing grant would otherwise keep every lost entity fenced.
   */
  private async observeOrNothing(): Promise<Observation | null> {
    try {
      return await this.observe();
    } catch (error) {
      this.options.onError?.(error);
      return null;
    }
  }

  private async observe(): Promise<Observation> {
    const now = this.clock();
    if (this.cached && now - this.cached.at < (this.options.cacheMs ?? PERSIST_PROBE_CACHE_MS))
      return this.cached;
    const dlqUrl = this.options.persistDlqUrl;
    const [persist, dlq] = await Promise.all([
      this.depth(this.options.persistQueueUrl),
      dlqUrl ? this.depth(dlqUrl) : Promise.resolve({ visible: 0, hidden: 0 }),
    ]);
    const persistDepth = persist.visible + persist.hidden;
    let deadLetterEntities: Set<string> | null = new Set();
    if (dlqUrl && persistDepth === 0 && dlq.visible + dlq.hidden > 0) {
      // Messages someone holds (a redrive, a console peek) cannot be looked at: nobody settles.
      deadLetterEntities = dlq.hidden > 0 ? null : await this.deadLetterEntities(dlqUrl, dlq.visible);
    }
    this.cached = { at: now, persistDepth, deadLetterEntities };
    return this.cached;
  }

  /**
   * Whose events the DLQ holds, from each message's `entity` attribute (the publisher sets it; the
   * body names it too). Peeks with a zero visibility timeout, so every message stays where it is
   * and visible to everyone; null when not every message could be seen. Long polling (1 s): a short
   * poll asks only some of SQS's servers and may answer empty, or with a few, while the queue holds
   * more; a long poll asks them all and returns as soon as it has any. Needs `sqs:ReceiveMessage` on
   * the DLQ (lib/constructs/durable-queue.ts `probedBy`).
   */
  private async deadLetterEntities(queueUrl: string, count: number): Promise<Set<string> | null> {
    const limit = this.options.dlqPeekLimit ?? 100;
    if (count > limit) return null;
    const seen = new Map<string, string | null>();
    for (let round = 0; round < Math.ceil(count / 10) * 3 && seen.size < count; round++) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['entity'],
        }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages) {
        if (message.MessageId) seen.set(message.MessageId, entityOf(message));
      }
    }
    if (seen.size < count) return null;
    const entities = new Set<string>();
    for (const entity of seen.values()) {
      // A message that names no entity could be anyone's.
      if (entity === null) return null;
      entities.add(entity);
    }
    return entities;
  }

  private async depth(queueUrl: string): Promise<{ visible: number; hidden: number }> {
    const result = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const attributes = result.Attributes ?? {};
    return {
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      hidden:
        Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }
}

function entityOf(message: { Body?: string; MessageAttributes?: Record<string, { StringValue?: string }> }) {
  const attribute = message.MessageAttributes?.entity?.StringValue;
  if (attribute) return attribute;
  try {
    const body = JSON.parse(message.Body ?? '') as { entityType?: unknown; entityId?: unknown };
    if (typeof body.entityType === 'string' && typeof body.entityId === 'string')
      return `${body.entityType}:${body.entityId}`;
  } catch {
    // Not an envelope: whose it is cannot be told.
  }
  return null;
}
