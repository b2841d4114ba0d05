import type { EventEnvelope } from '../../../domain/events.js';
import { LuaScript } from '../lua-script.js';
import prelude from './product-prelude.lua';

/** A product script: its source runs after the shared prelude, as one chunk (see product-prelude.lua). */
export const productScript = (name: string, source: string, numberOfKeys?: number | 'variable') =>
  new LuaScript(name, `${prelude}\n${source}`, numberOfKeys);

/** Every product script's reply carries `now` and the events of its run. */
export type RawStep<T> = { now: number; events: EventEnvelope[] } & T;

export type RawProduct = Record<string, string>;
