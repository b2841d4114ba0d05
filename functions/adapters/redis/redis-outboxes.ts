import type { EventEnvelope } from '../../domain/events.js';
import type { OutboxEntry, Outboxes } from '../../ports/outbox.js';
import type { RedisClient } from './client.js';
import type { OutboxIndex } from './outbox-index.js';
import { outboxKeyOf, outboxMember } from './redis-keys.js';

const memberOf = (event: EventEnvelope) => outboxMember(event.entityType, event.entityId);

/** Outboxes of auctions (`{a:ID}:outbox`) and products (`{p:ID}:outbox`), found through the index. */
export class RedisOutboxes implements Outboxes {
  constructor(
    private readonly redis: RedisClient,
    private readonly index: OutboxIndex,
  ) {}

  async entries(cursor: string, count: number): Promise<{ cursor: string; entries: OutboxEntry[] }> {
    const page = await this.index.page(cursor, count);
    return { cursor: page.cursor, entries: page.members };
  }

  async pending(member: string): Promise<EventEnvelope[]> {
    const values = await this.redis.hvals(outboxKeyOf(member));
    return values.map((value) => JSON.parse(value) as EventEnvelope).sort((a, b) => a.seq - b.seq);
  }

  release(entry: OutboxEntry): Promise<boolean> {
    return this.index.releaseIfUnchanged(entry.member, entry.score);
  }

  async acknowledge(events: readonly EventEnvelope[]): Promise<void> {
    await Promise.all(events.map((event) => this.redis.hdel(outboxKeyOf(memberOf(event)), event.eventId)));
  }

  async now(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}
