import type { RedisClient } from './client.js';
import { LuaScript } from './lua-script.js';
import { OUTBOX_INDEX_KEY } from './redis-keys.js';
import releaseSource from './scripts/release-outbox-index.lua';

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

const release = new LuaScript('releaseOutboxIndex', releaseSource);

export class OutboxIndex {
  private readonly noted = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly refreshMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes that `member` (e.g. `a:ID`) is about to get outbox entries. Await it before the script. */
  async intent(member: string): Promise<void> {
    const now = this.now();
    const last = this.noted.get(member);
    if (last !== undefined && now - last < this.refreshMs) return;
    await this.redis.zadd(OUTBOX_INDEX_KEY, 'GT', now, member);
    if (this.noted.size >= 10_000) this.noted.clear();
    this.noted.set(member, now);
  }

  /** Oldest intents first; score as Redis printed it (used verbatim by `releaseIfUnchanged`). */
  async members(limit: number): Promise<{ member: string; score: string }[]> {
    const flat = await this.redis.zrange(OUTBOX_INDEX_KEY, 0, limit - 1, 'WITHSCORES');
    const members: { member: string; score: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      members.push({ member: flat[i] as string, score: flat[i + 1] as string });
    }
    return members;
  }

  /** Removes `member` only if no intent arrived since its score was read. */
  async releaseIfUnchanged(member: string, score: string): Promise<boolean> {
    return (await release.run(this.redis, [OUTBOX_INDEX_KEY], [member, score])) === 1;
  }
}
