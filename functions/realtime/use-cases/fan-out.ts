/**
 * The fan-out use case: a batch of events from the SQS "fanout" queue becomes at most one push
 * ("wave") per topic, carrying the newest state in the batch (conflation by max seq), serialised
 * once and posted to every watcher with bounded concurrency.
 *
 * Per topic, one wave at a time (a lease in Redis) and only a seq newer than every earlier wave, so
 * duplicate or reordered SQS deliveries and concurrent invocations never push an older or equal
 * state after a newer one: each connection sees strictly increasing seqs. A wave that finds the
 * lease taken waits for it; if a newer wave ran meanwhile, it has nothing left to do.
 *
 * A wave to more watchers than one invocation posts quickly is split into parts sent by several
 * invocations (see wave-parts.ts); the queue then carries parts beside the events.
 *
 * A connection that answers 410 Gone is removed from the registry; a failed post is counted, not
 * retried by redelivery (the next update carries the full state, and repeating a wave would send a
 * seq the other watchers already have). Records fail (batchItemFailures, then the DLQ) only when
 * they cannot be parsed or their topic's wave could not run (Redis down, lease never freed).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EventEnvelope } from '../../domain/events.js';
import type { StoredNotification } from '../../ports/notifications.js';
import type { BroadcastInfo } from '../broadcast.js';
import { encodeMessage, messageForEvent, type Topic, topicOfEvent } from '../model.js';
import { isNotificationsMessage, parseNotificationsMessage } from '../notification-push.js';
import type { DeliveryModes, TopicReader } from '../ports.js';
import { isWavePartMessage, parseWavePart, type WavePart } from '../wave-part.js';
import { type BroadcastDeps, broadcastTopic } from './broadcast.js';
import { forgetGone, postToAll } from './deliver.js';
import { moveToBroadcast } from './move-to-broadcast.js';
import { pushNotifications } from './push-notifications.js';
import { type Limiter, semaphore } from './semaphore.js';
import { helpWithParts, sendInParts, sendPart, shouldSplit, type WavePartsDeps } from './wave-parts.js';

/**
 * How long a wave waits for another wave of its topic to release the lease (the function's
 * `leaseWaitMs`). Part of the work the function's timeout is sized from (lib/config/functions.ts
 * `fanoutWork`; an infra test compares the two).
 */
export const FANOUT_LEASE_WAIT_MS = 12_000;

/**
 * A wave that ends with a newer event already in the store sends that next ("follow-on wave")
 * instead of releasing the lease to an invocation that polls for it: under a steady stream of bids
 * the waves then run back to back, where a poller noticed the free lease up to 50 ms late (each
 * such gap delays every watcher's next update). Only while more than this remains of the
 * invocation's time: one wave's worst case (a post with every throttle retry, lib/config/functions.ts
 * `fanoutWork`) plus a margin, so a follow-on never runs into the function timeout.
 */
export const FANOUT_FOLLOW_ON_RESERVE_MS = 32_000;

export interface FanOutDeps extends WavePartsDeps {
  /**
   * The entity's newest event in its deciding store. A wave pushes that, not only the newest event
   * of its own batch: with a backlog in the queue, each batch holds only a slice of it (Lambda hands
   * the fan-out 10 records at a time), and pushing slice after slice would send every watcher a
   * stream of states that are already old, the final one last. Optional: without it, the batch's.
   */
  topics?: Pick<TopicReader, 'latestEvent'>;
  /** PostToConnection calls in flight at most, across all topics of an invocation. */
  concurrency: number;
  /** How long a wave waits for another wave of the same topic to end. */
  leaseWaitMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The fast path of personal notifications (docs/notifications.md): derives the notifications of
   * the auctions with a bid in the batch from their Redis log and pushes them. Absent: no database.
   */
  notifyFromLog?: (auctionIds: readonly string[]) => Promise<unknown>;
  /**
   * The broadcast tier (API.md v1.2): every topic's updates are also published to its channel
   * (rate-capped, broadcast.ts), and a wave of a topic that turned broadcast moves its remaining
   * direct watchers there (move-to-broadcast.ts). Absent: direct only, as before it.
   */
  broadcast?: { publish: BroadcastDeps; modes: DeliveryModes; info: BroadcastInfo };
}

export interface FanOutRecord {
  messageId: string;
  body: string;
}

export interface FanOutResult {
  batchItemFailures: { itemIdentifier: string }[];
}

const envelopeSchema = z.object({
  eventId: z.string().min(1),
  type: z.string().min(1),
  entityType: z.enum(['auction', 'product']),
  entityId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  seq: z.number().int().positive(),
  occurredAt: z.number().int(),
  payload: z.record(z.string(), z.unknown()),
});

interface TopicBatch {
  topic: Topic;
  newest: EventEnvelope;
  messageIds: string[];
}

export interface FanOutInvocation {
  /** What is left of the invocation's time (Lambda's `context.getRemainingTimeInMillis`); without it, no follow-on waves. */
  remainingMs?: () => number;
}

export async function fanOut(
  deps: FanOutDeps,
  records: readonly FanOutRecord[],
  invocation: FanOutInvocation = {},
): Promise<FanOutResult> {
  const failures: string[] = [];
  const batches = new Map<string, TopicBatch>();
  const parts: { messageId: string; part: WavePart }[] = [];
  const notifications: StoredNotification[] = [];
  let notificationMessages = 0;
  const bids: EventEnvelope[] = [];
  for (const record of records) {
    const message = parseJson(record.body);
    if (isNotificationsMessage(message)) {
      const parsed = parseNotificationsMessage(message);
      if (parsed) {
        notifications.push(...parsed);
        notificationMessages++;
      } else {
        deps.logger.error('fanout: unreadable notifications, leaving them to the dead-letter queue', {
          messageId: record.messageId,
        });
        failures.push(record.messageId);
      }
      continue;
    }
    if (isWavePartMessage(message)) {
      const part = parseWavePart(message);
      if (part) parts.push({ messageId: record.messageId, part });
      else {
        deps.logger.error('fanout: unreadable wave part, leaving it to the dead-letter queue', {
          messageId: record.messageId,
        });
        failures.push(record.messageId);
      }
      continue;
    }
    const event = parseEnvelope(message);
    if (!event) {
      deps.logger.error('fanout: unreadable event, leaving it to the dead-letter queue', {
        messageId: record.messageId,
      });
      failures.push(record.messageId);
      continue;
    }
    if (event.type === 'bid.accepted' && event.entityType === 'auction') bids.push(event);
    const topic = topicOfEvent(event);
    const batch = batches.get(topic.name);
    if (!batch) {
      batches.set(topic.name, { topic, newest: event, messageIds: [record.messageId] });
    } else {
      batch.messageIds.push(record.messageId);
      if (event.seq > batch.newest.seq) batch.newest = event;
    }
  }
  const events = records.length - failures.length - parts.length - notificationMessages;
  deps.metrics.count('conflated', events - batches.size);

  const limit = semaphore(deps.concurrency);
  const partsSent = parts.map(async ({ messageId, part }) => {
    try {
      await sendPart(deps, part, limit);
    } catch (error) {
      deps.logger.error('fanout: wave part failed; it will be retried', {
        topic: part.topic,
        seq: part.seq,
        index: part.index,
        error: String(error),
      });
      failures.push(messageId);
    }
  });
  // Beside the waves. A publish that failed fails the topic's records: SQS delivers them again and
  // the publish is retried from the same point (a redelivered record's wave is stale: nothing is
  // pushed twice), so the newest state reaches the channel even when no later update comes.
  const published = [...batches.values()].map(async (batch) => {
    if (!deps.broadcast) return;
    let outcome: 'done' | 'failed' = 'failed';
    try {
      outcome = await broadcastTopic(deps.broadcast.publish, batch.topic, batch.newest, {
        ...(invocation.remainingMs ? { remainingMs: invocation.remainingMs } : {}),
      });
    } catch (error) {
      deps.logger.error('fanout: broadcast publish failed; its records will be retried', {
        topic: batch.topic.name,
        seq: batch.newest.seq,
        error: String(error),
      });
    }
    if (outcome === 'failed') failures.push(...batch.messageIds);
  });
  const wavesSent = [...batches.values()].map(async (batch) => {
    try {
      await wave(deps, batch.topic, batch.newest, limit, invocation);
    } catch (error) {
      deps.logger.error('fanout: wave failed; its records will be retried', {
        topic: batch.topic.name,
        seq: batch.newest.seq,
        error: String(error),
      });
      failures.push(...batch.messageIds);
    }
  });
  // Personal notifications never fail a record: the list (PostgreSQL) has them whatever the push does.
  const pushed =
    notifications.length > 0 ? pushNotifications(deps, notifications).catch(() => undefined) : undefined;
  const fastPath =
    deps.notifyFromLog && bids.length > 0
      ? deps.notifyFromLog([...new Set(bids.map((bid) => bid.entityId))].sort())
      : undefined;
  await Promise.all([...partsSent, ...wavesSent, ...published, pushed, fastPath]);
  return { batchItemFailures: [...new Set(failures)].map((itemIdentifier) => ({ itemIdentifier })) };
}

/** The store's newest event for the topic if it is newer than `known` and renders; else `known`. */
async function newestKnown(deps: FanOutDeps, topic: Topic, known: EventEnvelope): Promise<EventEnvelope> {
  if (!deps.topics) return known;
  try {
    const latest = parseEnvelope(await deps.topics.latestEvent(topic));
    return latest && latest.seq > known.seq ? latest : known;
  } catch {
    return known; // Redis hiccup: the batch's newest still goes out
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

function parseEnvelope(message: unknown): EventEnvelope | null {
  try {
    const parsed = envelopeSchema.safeParse(message);
    if (!parsed.success) return null;
    const event = parsed.data as EventEnvelope;
    messageForEvent(event); // renders, or throws on a payload that does not carry a full state
    return event;
  } catch {
    return null;
  }
}

export class LeaseTimeoutError extends Error {
  override name = 'LeaseTimeoutError';
}

async function wave(
  deps: FanOutDeps,
  topic: Topic,
  batchNewest: EventEnvelope,
  limit: Limiter,
  invocation: FanOutInvocation,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let token = randomUUID();
  const deadline = now() + deps.leaseWaitMs;
  let event = await newestKnown(deps, topic, batchNewest);
  let claim = await deps.registry.claimWave(topic, event.seq, token, now());
  // While another wave runs, poll its lease with a growing pause (10 ms doubling to 50 ms): every
  // poll reads and renders the newest event, and at a fixed 10 ms the invocations waiting behind
  // one long wave spent more CPU polling than the wave spent posting (measured: ~18 ms of CPU per
  // waiting invocation behind a 3 s wave). A wave that ends is noticed within 50 ms, or at once by
  // its own invocation (follow-on waves below).
  let pauseMs = 10;
  while (claim.status === 'busy') {
    if (now() > deadline) throw new LeaseTimeoutError(`${topic.name}: another wave held the lease too long`);
    // The lease may belong to a split wave whose parts wait for an invocation: send them.
    if (!(await helpWithParts(deps, topic, limit))) {
      await sleep(pauseMs);
      pauseMs = Math.min(50, pauseMs * 2);
    }
    event = await newestKnown(deps, topic, event);
    claim = await deps.registry.claimWave(topic, event.seq, token, now());
  }
  if (claim.status !== 'claimed') {
    deps.metrics.count('stale', 1);
    return;
  }
  if (event.seq > batchNewest.seq) deps.metrics.count('caughtUp', 1);
  for (;;) {
    await sendClaimed(deps, topic, event, token, claim.connectionIds, limit);
    const remainingMs = invocation.remainingMs?.();
    if (remainingMs === undefined || remainingMs <= FANOUT_FOLLOW_ON_RESERVE_MS) return;
    const newer = await newestKnown(deps, topic, event);
    if (newer.seq <= event.seq) return;
    // Busy (another invocation took the lease meanwhile, or parts of a split wave still run) or
    // stale: that wave is someone else's; this invocation is done.
    token = randomUUID();
    claim = await deps.registry.claimWave(topic, newer.seq, token, now());
    if (claim.status !== 'claimed') return;
    event = newer;
    deps.metrics.count('followOn', 1);
  }
}

/** One claimed wave: rendered once, posted to every receiver (in parts if many), lease released. */
async function sendClaimed(
  deps: FanOutDeps,
  topic: Topic,
  event: EventEnvelope,
  token: string,
  connectionIds: readonly string[],
  limit: Limiter,
): Promise<void> {
  deps.metrics.count('waves', 1);
  if (deps.broadcast && connectionIds.length > 0 && (await deps.broadcast.modes.read(topic)).broadcast) {
    // The topic turned broadcast: its direct watchers are told once, then they read the channel.
    let moved: string[] = [];
    try {
      moved = await moveToBroadcast(deps, topic, connectionIds, deps.broadcast.info, limit);
    } finally {
      await deps.registry.releaseWave(topic, token);
    }
    await forgetGone(deps, topic, moved);
    return;
  }
  const data = encodeMessage(messageForEvent(event));
  if (shouldSplit(deps, connectionIds.length)) {
    await sendInParts(deps, { topic, seq: event.seq, token, data, connectionIds }, limit);
    return;
  }
  let gone: string[] = [];
  try {
    gone = await postToAll(deps, connectionIds, data, limit);
  } finally {
    await deps.registry.releaseWave(topic, token);
  }
  await forgetGone(deps, topic, gone);
}
