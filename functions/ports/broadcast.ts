/**
 * The ports of the broadcast tier (domain/broadcast.ts): publishing to a channel of the Events API,
 * the per-topic publish ledger that caps the publish rate, and the topic's delivery mode.
 * Adapters: `adapters/appsync/events-publisher.ts` (HTTP publish, SigV4) and
 * `adapters/redis/redis-broadcast-ledger.ts` (the topic's slot in Redis).
 */
import type { EventEnvelope } from '../domain/events.js';
import type { Topic } from '../domain/realtime.js';

export type PublishOutcome = 'published' | 'failed';

/** One HTTP publish of up to 5 events (JSON texts) to a channel. Retries of throttling inside. */
export interface ChannelPublisher {
  publish(channel: string, events: readonly string[]): Promise<PublishOutcome>;
}

/** What was published last for a topic: its seq and when (epoch ms); 0/0 before the first. */
export interface PublishMark {
  seq: number;
  at: number;
}

/**
 * Per topic, on the topic's slot: one publisher at a time (a lease), the newest seq published and
 * when. The lease is what conflates: updates that arrive while a publisher waits for the end of the
 * rate window find it taken and leave their state to it (it reads the store after its wait).
 */
export interface BroadcastLedger {
  /** The lease for `leaseMs`, and the last publish; null while another publisher holds it. */
  lead(topic: Topic, token: string, leaseMs: number): Promise<PublishMark | null>;
  /** Records a publish (only ever raises the seq) and frees the lease if still this token's. */
  published(topic: Topic, token: string, mark: PublishMark): Promise<void>;
  /** Frees the lease if still this token's. */
  release(topic: Topic, token: string): Promise<void>;
  /** The topic's events after `afterSeq`, the newest `max` of them, oldest first. */
  eventsAfter(topic: Topic, afterSeq: number, max: number): Promise<EventEnvelope[]>;
}

/**
 * A topic's delivery mode (topic slot). `broadcast` is sticky while the topic's keys live (3 h
 * after the last subscribe or wave): a crowd that thins out stays on its channel.
 */
export interface DeliveryModes {
  /** The mode and the direct audience (connections registered, pending ones included). */
  read(topic: Topic): Promise<{ broadcast: boolean; audience: number }>;
  turnBroadcast(topic: Topic): Promise<void>;
}
