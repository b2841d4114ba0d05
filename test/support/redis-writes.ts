import type { Redis } from 'ioredis';

/** Commands that cannot change a key. Anything else counts as a write, scripts included. */
const READ_ONLY = new Set([
  'get',
  'mget',
  'hget',
  'hmget',
  'hgetall',
  'hexists',
  'hlen',
  'exists',
  'ttl',
  'pttl',
  'type',
  'zscore',
  'zcard',
  'zcount',
  'zrange',
  'zrangebyscore',
  'zrevrange',
  'zrevrangebyscore',
  'zrank',
  'smembers',
  'sismember',
  'scard',
  'lrange',
  'llen',
  'lindex',
  'scan',
  'hscan',
  'zscan',
  'sscan',
  'ping',
  'info',
  'dbsize',
  'time',
  'memory',
  'client',
  'select',
  'script',
]);

/**
 * The write commands the application's own Redis client sends while `during` runs (the HTTP app's
 * client is the fixture's `redis`). "A refused request writes nothing" asserted this way holds while
 * other test files write to the same Redis at the same time, where comparing DBSIZE before and after
 * counted their keys (and their expiries) as ours.
 */
export async function writesDuring<T>(
  redis: Redis,
  during: () => Promise<T>,
): Promise<{ result: T; writes: string[] }> {
  const writes: string[] = [];
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    if (!READ_ONLY.has(command.name.toLowerCase())) writes.push(command.name.toLowerCase());
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as Redis['sendCommand'];
  try {
    return { result: await during(), writes };
  } finally {
    redis.sendCommand = original;
  }
}
