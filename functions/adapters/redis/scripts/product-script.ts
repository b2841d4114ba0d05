import type { EventEnvelope } from '../../../domain/events.js';
import type { RedisClient } from '../client.js';
import { LuaScript } from '../lua-script.js';
import prelude from './product-prelude.lua';

/** A product script: its source runs after the shared prelude, as one chunk (see product-prelude.lua). */
export const productScript = (name: string, source: string, numberOfKeys?: number | 'variable') =>
  new LuaScript(name, `${prelude}\n${source}`, numberOfKeys);

/** Every product script's reply carries `now` and the events of its run. */
export type RawStep<T> = { now: number; events: EventEnvelope[] } & T;

export type RawProduct = Record<string, string>;

/**
 * Defines scripts on a client before any traffic. LuaScript defines a command on first use, but
 * ioredis' auto-pipelining copies a client's commands into each pipeline when the pipeline is
 * created: a script defined while a pipeline is pending is missing from it, the pipeline resolves
 * with fewer replies than callbacks and the client stops answering ("results[i] is not iterable").
 */
export function defineScripts(redis: RedisClient, scripts: readonly LuaScript[]): void {
  const commands = redis as unknown as Record<string, unknown>;
  for (const script of scripts) {
    if (typeof commands[script.name] !== 'function') redis.defineCommand(script.name, { lua: script.source });
  }
}
