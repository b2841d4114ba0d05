/**
 * The broadcast tier's publish (API.md v1.2, "Broadcast channels for crowds"): every topic's
 * updates go to its channel of the Events API, one HTTP publish per rate window whatever the
 * audience, beside the direct waves of fan-out.ts.
 *
 * Rate cap per topic: one publish per `intervalMs` on average, in bursts of at most two (a
 * generic cell rate algorithm: the ledger keeps the theoretical time of the next publish, and a
 * publish may come one interval early). So updates at about the cap's pace (a bid every 100 ms at
 * 10/s) go out as they come, whatever their jitter, and faster ones are batched. An update that
 * may not go yet waits, holding the topic's publish lease; updates arriving meanwhile find the
 * lease taken and leave their state to it, because after its wait the holder reads the store
 * (where an update is before it reaches the fan-out queue) and publishes what happened since the
 * previous publish. After a publish the holder reads the store again: a state that arrived while
 * it held the lease is published in the next window by the same loop, so the newest state is
 * always published, at most one window late.
 *
 * One publish carries the states since the previous publish, oldest first, up to
 * `eventsPerPublish` (AppSync's limit is 5 per request), each event exactly the message a direct
 * watcher gets. So at a few updates per window subscribers see every state without fetching
 * `/events` (each such fetch would be one request of the account's budget per watcher per gap);
 * beyond that, the newest states and a gap before them. Products: newest only (a product message
 * is the full product, and clients keep only the newest).
 *
 * Channel events may be lost, doubled or reordered (API.md): a failed publish is logged, counted
 * and not recorded, and answered 'failed': the fan-out then fails the topic's records, so SQS
 * delivers them again and the publish is retried from the same point (the redelivered records'
 * direct waves are stale by then and push nothing twice). Without that, the last state of a topic
 * whose last publish failed would never reach its channel.
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../domain/events.js';
import type { LogSink } from '../../ports/logger.js';
import { channelOf, MAX_EVENTS_PER_PUBLISH } from '../broadcast.js';
import { messageForEvent, type Topic } from '../model.js';
import type { BroadcastLedger, ChannelPublisher } from '../ports.js';

export interface BroadcastDeps {
  ledger: BroadcastLedger;
  publisher: ChannelPublisher;
  /** Shortest time between two publishes of a topic (1000 / BROADCAST_PUBLISH_RATE). */
  intervalMs: number;
  /** Events per publish, 1..5 (BROADCAST_EVENTS_PER_PUBLISH). */
  eventsPerPublish: number;
  logger: LogSink;
  metrics?: { count(name: 'published' | 'publishFailed' | 'publishedEvents', value: number): void };
  /** How long a publisher may hold a topic: its wait, a publish with retries and a margin. */
  leaseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Publish rounds one invocation runs for a topic at most (a steady stream of updates). */
const MAX_ROUNDS = 200;
/**
 * Failed publishes retried here (after the publisher's own quick retries) before the records are
 * failed: their redelivery waits for the queue's visibility timeout (minutes), too long for the
 * newest state of a busy topic.
 */
const FAILED_PUBLISH_PAUSES_MS = [500, 1_000, 2_000];

/**
 * Publishes `known` (or newer) to the topic's channel within the rate cap; returns when this
 * invocation has nothing left to publish for the topic or another publisher holds it.
 * `remainingMs`: what is left of the invocation; rounds stop `reserveMs` before its end.
 */
export async function broadcastTopic(
  deps: BroadcastDeps,
  topic: Topic,
  known: EventEnvelope,
  invocation: { remainingMs?: () => number; reserveMs?: number } = {},
): Promise<'done' | 'failed'> {
  const channel = channelOf(topic);
  if (!channel) return 'done'; // an id that cannot be a channel segment: direct only
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const leaseMs = deps.leaseMs ?? deps.intervalMs + 10_000;
  const perPublish =
    topic.kind === 'product' ? 1 : Math.max(1, Math.min(MAX_EVENTS_PER_PUBLISH, deps.eventsPerPublish));
  let newestSeen = known.seq;
  let failedPublishes = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const token = randomUUID();
    const mark = await deps.ledger.lead(topic, token, leaseMs);
    if (!mark) return 'done'; // its holder reads the store after its wait: our state is in it
    if (mark.seq >= newestSeen) {
      await deps.ledger.release(topic, token);
      return 'done';
    }
    let published: number;
    try {
      // mark.at: when the next publish is due at the steady rate; one interval early is allowed.
      const wait = mark.at - deps.intervalMs - now();
      if (wait > 0) await sleep(wait);
      const startedAt = now();
      let events = await deps.ledger.eventsAfter(topic, mark.seq, perPublish);
      // The store's log is trimmed by persistence; what the fan-out was handed still counts.
      if (events.length === 0 && known.seq > mark.seq) events = [known];
      const last = events.at(-1);
      if (!last) {
        await deps.ledger.release(topic, token);
        return 'done';
      }
      const texts = events.map((event) => JSON.stringify(messageForEvent(event)));
      if ((await deps.publisher.publish(channel, texts)) !== 'published') {
        deps.metrics?.count('publishFailed', 1);
        deps.logger.warn('broadcast: publish failed; it is retried from the same point', {
          topic: topic.name,
          seq: last.seq,
        });
        await deps.ledger.release(topic, token);
        const pause = FAILED_PUBLISH_PAUSES_MS[failedPublishes++];
        const remaining = invocation.remainingMs?.();
        if (
          pause === undefined ||
          (remaining !== undefined && remaining <= pause + (invocation.reserveMs ?? 5_000))
        )
          return 'failed';
        await sleep(pause);
        continue;
      }
      deps.metrics?.count('published', 1);
      deps.metrics?.count('publishedEvents', texts.length);
      published = last.seq;
      await deps.ledger.published(topic, token, {
        seq: published,
        at: Math.max(mark.at, startedAt) + deps.intervalMs,
      });
    } catch (error) {
      await deps.ledger.release(topic, token).catch(() => undefined);
      throw error;
    }
    // Updates that came while this invocation held the topic left their state to it.
    const [newer] = await deps.ledger.eventsAfter(topic, published, 1);
    if (!newer) return 'done';
    newestSeen = newer.seq;
    // Out of time with a newer state unpublished (its own invocation left it to this one): the
    // records are failed, so their redelivery publishes it.
    const remaining = invocation.remainingMs?.();
    if (remaining !== undefined && remaining <= (invocation.reserveMs ?? 5_000)) return 'failed';
  }
  return 'failed';
}
