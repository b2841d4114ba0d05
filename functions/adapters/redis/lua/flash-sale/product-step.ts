import type { EventEnvelope } from '../../../../domain/events.js';

/** Every product script's reply carries `now` and the events of its run (includes/product.lua). */
export type RawStep<T> = { now: number; events: EventEnvelope[] } & T;

export type RawProduct = Record<string, string>;
