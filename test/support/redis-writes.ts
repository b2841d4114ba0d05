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

/** One command the application's client sent: its name (lower case) and arguments. */
export interface SentCommand {
  name: string;
  args: unknown[];
}

/** Every command the application's own Redis client sends while `during` runs. */
export async function commandsDuring<T>(
  redis: Redis,
  during: () => Promise<T>,
): Promise<{ result: T; commands: SentCommand[] }> {
  const commands: SentCommand[] = [];
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string; args: unknown[] }, ...rest: unknown[]) => {
    // Copied now: ioredis rewrites a script's first run on a connection into EVAL with the source,
    // in place, when it writes the command out.
    commands.push({ name: command.name.toLowerCase(), args: [...command.args] });
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as Redis['sendCommand'];
  try {
    return { result: await during(), commands };
  } finally {
    redis.sendCommand = original;
  }
}

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
  const { result, commands } = await commandsDuring(redis, during);
  return { result, writes: commands.map((command) => command.name).filter((name) => !READ_ONLY.has(name)) };
}
