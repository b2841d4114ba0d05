/**
 * Ids PostgreSQL did not know a moment ago. Every read of an id Redis does not hold asks PostgreSQL
 * whether the entity was lost or never existed; a burst of requests for the same unknown id would
 * cost one query each. A miss is remembered for `ttlMs` (ARCHIVE_MISS_CACHE_MS, docs/decisions/http-api.md), per
 * process; bounded, so random ids cannot grow it without limit. Only misses are cached: an entity
 * PostgreSQL knows is always read fresh.
 */
export const ARCHIVE_MISS_CACHE_MS = 5_000;

export class MissCache {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs = ARCHIVE_MISS_CACHE_MS,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(id: string): boolean {
    const until = this.until.get(id);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(id);
    return false;
  }

  /** A miss that may not last (the entity may be on its way to PostgreSQL): asked again next time. */
  forget(id: string): void {
    this.until.delete(id);
  }

  add(id: string): void {
    if (this.ttlMs <= 0) return;
    if (this.until.size >= this.maxEntries) this.until.clear();
    this.until.set(id, this.now() + this.ttlMs);
  }
}
