import type { ReadCaller, ReadLimiter } from '../../ports/read-limiter.js';
import type { RedisClient } from './client.js';
import { eventReadsKey } from './redis-keys.js';
import { countRequestScript } from './scripts/count-request.js';

/** A fixed-window counter per caller (count-request.lua); `max` 0 admits everything. */
export class RedisReadLimiter implements ReadLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly limit: { max: number; windowMs: number },
  ) {}

  async admit(caller: ReadCaller): Promise<number> {
    if (this.limit.max <= 0) return 0;
    const reply = await countRequestScript.run(
      this.redis,
      [eventReadsKey(caller)],
      [this.limit.max, this.limit.windowMs],
    );
    return Number(reply);
  }
}
