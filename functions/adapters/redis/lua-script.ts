import { OutcomeUnknownError } from '../../domain/errors.js';
import type { RedisClient } from './client.js';

/**
 * How long a deciding script keeps its first run (its `{X:ID}:run:REQUEST` key) so that a second run
 * with the same arguments repeats it. ioredis resends a command whose reply a reset connection lost
 * on the reconnect that follows (within its retries: about a second here); the margin covers a
 * reconnect that waits for a failover.
 */
export const RUN_KEPT_SECONDS = 300;

/** What ioredis reports when a command's reply did not come back (the command may have run). */
const CONNECTION_FAILURE =
  /ECONNREFUSED|ETIMEDOUT|ECONNRESET|EPIPE|Connection is closed|Command timed out|max retries|ClusterAllFailed|CLUSTERDOWN|TRYAGAIN|LOADING/i;

/**
 * Runs a deciding script's call: a connection failure once the command was issued leaves the
 * decision unknown (it may have run, and ioredis may still resend it), which is not the "nothing
 * decided" of a dependency that failed before: it becomes an OutcomeUnknownError.
 */
export async function deciding<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof Error && CONNECTION_FAILURE.test(`${error.name} ${error.message}`)) {
      throw new OutcomeUnknownError(error.message);
    }
    throw error;
  }
}

type ScriptCommand = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Every script of the bundle, so that a new client can define them all before its first command. */
const everyScript = new Set<LuaScript>();

/**
 * A Lua script registered on a client with ioredis' defineCommand: it runs with EVALSHA and falls
 * back to EVAL when the server does not know it (a fresh node, a restart, a failover). The variable
 * number of keys lets one definition serve every call; scripts still declare all their keys, as
 * cluster mode requires.
 */
export class LuaScript {
  /**
   * Fixed per script, so that ioredis knows the first key: with auto-pipelining in cluster mode it
   * groups commands by that key's slot (with a variable count it would route by the count itself,
   * and scripts of different slots could share a pipeline). Read off the highest `KEYS[n]` the
   * source uses unless given. 'variable' (a script taking a list of keys) routes by the count and
   * must not be mixed with other slots in one tick on a cluster: keep such scripts rare.
   */
  readonly numberOfKeys: number | 'variable';

  constructor(
    readonly name: string,
    readonly source: string,
    numberOfKeys?: number | 'variable',
  ) {
    this.numberOfKeys =
      numberOfKeys ?? Math.max(0, ...[...source.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1])));
    everyScript.add(this);
  }

  /**
   * Defines every script known so far on a fresh client. ioredis' auto-pipelining copies a client's
   * commands into each pipeline when the pipeline is created: a command defined while a pipeline is
   * pending is missing from it and the pipeline's replies go out of step. Defining everything before
   * the first command avoids that; `command` still defines late-loaded scripts on first use.
   */
  static defineAll(redis: RedisClient): void {
    for (const script of everyScript) script.define(redis);
  }

  define(redis: RedisClient): void {
    const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
    if (typeof commands[this.name] !== 'function') {
      redis.defineCommand(this.name, {
        lua: this.source,
        ...(this.numberOfKeys === 'variable' ? {} : { numberOfKeys: this.numberOfKeys }),
      });
    }
  }

  private command(redis: RedisClient): ScriptCommand {
    this.define(redis);
    return ((redis as unknown as Record<string, ScriptCommand>)[this.name] as ScriptCommand).bind(redis);
  }

  run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.numberOfKeys === 'variable') return this.command(redis)(keys.length, ...keys, ...args);
    if (keys.length !== this.numberOfKeys) {
      throw new Error(`${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    }
    return this.command(redis)(...keys, ...args);
  }

  /** Runs the script and parses its JSON string reply. */
  async runJson<Reply>(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<Reply> {
    const raw = await this.run(redis, keys, args);
    if (typeof raw !== 'string') throw new Error(`${this.name}: expected a JSON string reply`);
    return JSON.parse(raw) as Reply;
  }
}
