/**
 * Waves to many watchers, sent by several fan-out invocations at once. One invocation posts a few
 * thousand messages a second (the SDK costs ~0.4-0.5 ms of CPU per PostToConnection, and a Lambda
 * has about one vCPU), so a wave to 10,000 watchers would take seconds. Past `size` receivers, the
 * invocation that claimed the wave splits the receivers into parts stored in Redis beside the
 * lease, points the fanout queue at the others, and sends the first itself.
 *
 * Who sends a part: whoever starts it first, exactly once (registry start-part script): an
 * invocation that received its pointer, an invocation waiting for this topic's lease (it helps
 * instead of waiting, so waiting invocations can never starve the parts they wait for), or the
 * wave's own invocation, which sends whatever is still unstarted after its own part.
 *
 * Order stays safe: the wave's lease is held until its last part finished (or it expired), so no
 * newer wave of the topic starts meanwhile, and a part starts only while its wave holds the lease.
 * A part that died after starting holds the lease until it expires (`leaseMs`), delaying the
 * topic's next wave, never reordering it; its receivers get the next update, as after a failed post.
 */

import type { LogSink } from '../../ports/logger.js';
import type { Topic } from '../model.js';
import { parseTopic } from '../model.js';
import type { ConnectionMessenger, ConnectionRegistry, Counter, WavePartQueue } from '../ports.js';
import type { WavePart } from '../wave-part.js';
import { forgetGone, postToAll } from './deliver.js';
import type { Limiter } from './semaphore.js';

export interface WavePartsDeps {
  registry: ConnectionRegistry;
  messenger: ConnectionMessenger;
  metrics: Counter;
  logger: LogSink;
  parts?: {
    queue: WavePartQueue;
    /** Receivers per part: a wave with more is split. */
    size: number;
  };
}

export function shouldSplit(deps: WavePartsDeps, receivers: number): boolean {
  return deps.parts !== undefined && receivers > deps.parts.size;
}

/** Splits a claimed wave, points the queue at the other parts, then sends what nobody started. */
export async function sendInParts(
  deps: WavePartsDeps,
  wave: { topic: Topic; seq: number; token: string; data: Uint8Array; connectionIds: readonly string[] },
  limit: Limiter,
): Promise<void> {
  const size = deps.parts?.size ?? wave.connectionIds.length;
  const receivers: string[][] = [];
  for (let start = 0; start < wave.connectionIds.length; start += size) {
    receivers.push(wave.connectionIds.slice(start, start + size));
  }
  const data = Buffer.from(wave.data).toString('utf8');
  if (!(await deps.registry.openParts(wave.topic, wave.token, data, receivers))) {
    deps.metrics.count('stale', 1);
    return;
  }
  deps.metrics.count('parts', receivers.length);
  const pointers: WavePart[] = receivers
    .slice(1)
    .map((_, offset) => ({ topic: wave.topic.name, seq: wave.seq, token: wave.token, index: offset + 1 }));
  const pointed = deps.parts?.queue.send(pointers).catch((error: unknown) => {
    deps.logger.warn('fanout: wave parts not queued; this invocation sends them', {
      topic: wave.topic.name,
      error: String(error),
    });
  });
  await sendPart(deps, { topic: wave.topic.name, seq: wave.seq, token: wave.token, index: 0 }, limit);
  await pointed;
  await helpWithParts(deps, wave.topic, limit);
}

/**
 * Sends every part of the topic's current split wave that nobody started yet. Returns whether
 * there was any (false: nothing to help with, wait).
 */
export async function helpWithParts(deps: WavePartsDeps, topic: Topic, limit: Limiter): Promise<boolean> {
  const unstarted = await deps.registry.unstartedParts(topic);
  if (!unstarted || unstarted.indexes.length === 0) return false;
  await Promise.all(
    unstarted.indexes.map((index) =>
      sendPart(deps, { topic: topic.name, seq: 0, token: unstarted.token, index }, limit),
    ),
  );
  return true;
}

/** One part: started at most once and only while its wave holds the lease; finished in any case. */
export async function sendPart(deps: WavePartsDeps, part: WavePart, limit: Limiter): Promise<void> {
  const topic = parseTopic(part.topic);
  if (!topic) throw new Error(`wave part for an invalid topic ${part.topic}`);
  const start = await deps.registry.startPart(topic, part.token, part.index);
  if (start.status !== 'started') {
    deps.metrics.count(start.status === 'duplicate' ? 'duplicateParts' : 'stale', 1);
    return;
  }
  let gone: string[] = [];
  try {
    gone = await postToAll(deps, start.connectionIds, Buffer.from(start.data), limit);
  } finally {
    await deps.registry.finishPart(topic, part.token);
  }
  await forgetGone(deps, topic, gone);
}
