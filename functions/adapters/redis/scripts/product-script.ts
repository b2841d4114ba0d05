import type { EventEnvelope } from '../../../domain/events.js';
import { LuaScript } from '../lua-script.js';
import prelude from './product-prelude.lua';

const HELPERS = '\n--#helpers\n';
const [preludeHead, preludeHelpers] = prelude.split(HELPERS) as [string, string];

/**
 * A product script: its source runs after the shared prelude, as one chunk (see product-prelude.lua).
 * The prelude's helpers go at the script's own `--#helpers` line if it has one, else first.
 */
export const productScript = (name: string, source: string, numberOfKeys?: number | 'variable') =>
  new LuaScript(
    name,
    source.includes(HELPERS)
      ? `${preludeHead}\n${source.replace(HELPERS, `\n${preludeHelpers}\n`)}`
      : `${preludeHead}\n${preludeHelpers}\n${source}`,
    numberOfKeys,
  );

/** Every product script's reply carries `now` and the events of its run. */
export type RawStep<T> = { now: number; events: EventEnvelope[] } & T;

export type RawProduct = Record<string, string>;
