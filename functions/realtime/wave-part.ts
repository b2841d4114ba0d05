/**
 * A pointer to one part of a split fan-out wave (functions/realtime/use-cases/wave-parts.ts), carried by the
 * fanout queue beside event envelopes. The part's receivers and message live in Redis with the
 * wave's lease; the pointer only says which part of which wave to start.
 */
import { z } from 'zod';
import { parseTopic } from './model.js';

export interface WavePart {
  topic: string;
  /** The wave's seq, for logs. */
  seq: number;
  token: string;
  index: number;
}

const partMessageSchema = z.object({
  wavePart: z.object({
    topic: z.string(),
    seq: z.number().int().positive(),
    token: z.string().min(1).max(100),
    index: z.number().int().min(0).max(100_000),
  }),
});

export function encodeWavePart(part: WavePart): string {
  return JSON.stringify({ wavePart: part });
}

export function isWavePartMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && 'wavePart' in message;
}

/** The part a queue message points to; null when it is not a readable pointer. */
export function parseWavePart(message: unknown): WavePart | null {
  const parsed = partMessageSchema.safeParse(message);
  if (!parsed.success || !parseTopic(parsed.data.wavePart.topic)) return null;
  return parsed.data.wavePart;
}
