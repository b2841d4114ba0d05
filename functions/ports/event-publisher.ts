import type { EventEnvelope } from '../domain/events.js';

export interface EventPublisher {
  /** Sends to the persist queue; resolves once SQS has the events. */
  persist(events: readonly EventEnvelope[]): Promise<void>;
  /** Sends to the fan-out queue; best effort, watchers converge on the next update. */
  fanout(events: readonly EventEnvelope[]): Promise<void>;
}
