import type { RedisClient } from './client.js';
import { runReleaseOutboxIndex } from './lua/requests/release-outbox-index.js';
import { OUTBOX_INDEX_KEY, stateKeyOf } from './redis-keys.js';

/**
 * Entities that may have events in their outbox, so the sweeper can re-send what SQS never
 * acknowledged without scanning the keyspace. Member `a:<auctionId>` / `p:<productId>` (the entity's
 * hash tag without braces), score = time of the newest intent (ms).
 *
 * Intent first: a store notes the entity here before it runs a deciding script that writes to the
 * outbox, so a crash in between leaves an index entry with an empty outbox (dropped later), never an
 * outbox entry nobody looks at. A process notes an entity at most once per `refreshMs`: the sweeper
 * removes a member only when its outbox is empty and its newest intent is older than `graceMs`, far
 * longer than `refreshMs` plus the longest a deciding script can take, so a skipped intent is always
 * covered by the one before it.
 */
export { OUTBOX_INDEX_KEY };

export class OutboxIndex {
  private readonly noted = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly refreshMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Notes that `member` (e.g. `a:ID`) is about to get outbox entries. Await it before the script.
   * `ifExists`: only if Redis has the entity. Every deciding script refuses an entity it does not
   * have without writing anything, so a request for an unknown id must not grow the index; an entity
   * created between this check and the script is covered by its create's own (unconditional) intent,
   * which the sweeper keeps for `graceMs`.
   */
  async intent(member: string, options: { ifExists?: boolean } = {}): Promise<void> {
    const now = this.now();
    const last = this.noted.get(member);
    if (last !== undefined && now - last < this.refreshMs) return;
    if (options.ifExists && (await this.redis.exists(stateKeyOf(member))) === 0) return;
    await this.redis.zadd(OUTBOX_INDEX_KEY, 'GT', now, member);
    if (this.noted.size >= 10_000) this.noted.clear();
    this.noted.set(member, now);
  }

  /**
   * One page of the whole index (ZSCAN: every member present for the whole scan is returned at least
   * once, whatever the index's size). Start with cursor '0'; a returned cursor '0' ends the scan.
   */
  async page(
    cursor: string,
    count: number,
  ): Promise<{ cursor: string; members: { member: string; score: string }[] }> {
    const [next, flat] = await this.redis.zscan(OUTBOX_INDEX_KEY, cursor, 'COUNT', count);
    const members: { member: string; score: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      members.push({ member: flat[i] as string, score: flat[i + 1] as string });
    }
    return { cursor: next, members };
  }

  /** Removes `member` only if no intent arrived since its score was read. */
  async releaseIfUnchanged(member: string, score: string): Promise<boolean> {
    return runReleaseOutboxIndex(this.redis, member, score);
  }
}
