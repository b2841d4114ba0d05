import type { ReadCaller, ReadLimiter } from '../../ports/read-limiter.js';
import type { RedisClient } from './client.js';
import { runCountRequest } from './lua/requests/count-request.js';
import { eventReadsKey } from './redis-keys.js';

/** A fixed-window counter per caller (count-request.lua); `max` 0 admits everything. */
export class RedisReadLimiter implements ReadLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly limit: { max: number; windowMs: number },
  ) {}

  admit(caller: ReadCaller): Promise<number> {
    return runCountRequest(this.redis, eventReadsKey(caller), this.limit);
  }
}
