import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionTimeoutError, type LocalFunction, startFunctionPool } from './function-pool.js';

/**
 * Real worker threads running small bundles: what a handler sees in the local runtime (its own
 * event loop, module state and environment per instance, one invocation at a time, the timeout).
 */
const dir = mkdtempSync(join(tmpdir(), 'function-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bundle(name: string, source: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  return file;
}

const started: LocalFunction[] = [];
afterAll(async () => {
  await Promise.all(started.map((fn) => fn.stop()));
});

async function pool(
  name: string,
  source: string,
  options: { timeoutMs?: number; maxInstances?: number } = {},
) {
  const fn = await startFunctionPool({
    name,
    functionName: `test-${name}`,
    file: bundle(name, source),
    region: 'us-east-1',
    timeoutMs: options.timeoutMs ?? 5_000,
    memoryMb: 128,
    maxInstances: options.maxInstances ?? 2,
    env: { ...process.env, GREETING: `hello from ${name}` } as Record<string, string>,
  });
  started.push(fn);
  return fn;
}

// Blocks its own thread's event loop for event.ms, as a fan-out wave busy with thousands of posts would.
const BUSY = `export const handler = async (event) => {
  const until = Date.now() + event.ms;
  while (Date.now() < until) {}
  return { busyFor: event.ms };
};`;

// Counts invocations in flight in this module instance: more than one at a time would show.
const STATEFUL = `let inFlight = 0; let maxInFlight = 0; let calls = 0;
const instance = Math.random().toString(36).slice(2);
export const handler = async (event, context) => {
  inFlight++; calls++; maxInFlight = Math.max(maxInFlight, inFlight);
  await new Promise((resolve) => setTimeout(resolve, event.ms ?? 0));
  inFlight--;
  return { instance, calls, maxInFlight, env: process.env.GREETING, functionName: context.functionName,
    remaining: context.getRemainingTimeInMillis() };
};`;

describe('local function instances (worker threads, as Lambda execution environments)', () => {
  it('a busy function does not delay another function: each runs on its own event loop', async () => {
    const busy = await pool('busy', BUSY);
    const http = await pool('http', STATEFUL);
    await http.invoke({}); // warm
    const blocking = busy.invoke({ ms: 1_500 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the busy loop has started
    const t = performance.now();
    const answer = (await http.invoke({ ms: 0 })) as { env: string };
    const took = performance.now() - t;
    expect(answer.env).toBe('hello from http');
    // On one shared event loop this would wait for the 1.5 s busy loop to end.
    expect(took).toBeLessThan(700);
    expect(await blocking).toEqual({ busyFor: 1_500 });
  });

  it('an instance serves one invocation at a time; concurrency comes from more instances, up to the limit', async () => {
    const fn = await pool('stateful', STATEFUL, { maxInstances: 2 });
    const answers = (await Promise.all(Array.from({ length: 6 }, () => fn.invoke({ ms: 100 })))) as {
      instance: string;
      maxInFlight: number;
      functionName: string;
      remaining: number;
    }[];
    expect(answers.every((a) => a.maxInFlight === 1)).toBe(true);
    expect(new Set(answers.map((a) => a.instance)).size).toBe(2);
    expect(fn.instanceCount()).toBe(2);
    expect(fn.stats.coldStarts).toBe(2);
    expect(answers[0]?.functionName).toBe('test-stateful');
    expect(answers[0]?.remaining).toBeGreaterThan(4_000);
  });

  it('an invocation past the timeout fails as Lambda does, and the next one gets a fresh instance', async () => {
    const fn = await pool('slow', STATEFUL, { timeoutMs: 300, maxInstances: 1 });
    const first = (await fn.invoke({ ms: 0 })) as { instance: string; calls: number };
    const timedOut = await fn.invoke({ ms: 2_000 }).catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(FunctionTimeoutError);
    expect((timedOut as Error).message).toBe('Task timed out after 0.30 seconds');
    const next = (await fn.invoke({ ms: 0 })) as { instance: string; calls: number };
    expect(next.instance).not.toBe(first.instance);
    expect(next.calls).toBe(1);
    expect(fn.stats.timeouts).toBe(1);
    expect(fn.stats.coldStarts).toBe(2);
  });

  it('a handler error rejects that invocation only; a cold start that throws is reported', async () => {
    const fn = await pool(
      'thrower',
      'export const handler = async (e) => { if (e.fail) throw new TypeError("bad"); return 1; };',
    );
    await expect(fn.invoke({ fail: true })).rejects.toMatchObject({ name: 'TypeError', message: 'bad' });
    expect(await fn.invoke({})).toBe(1);
    await expect(pool('broken', 'throw new Error("no config");')).rejects.toThrow(
      /the broken function failed at cold start: Error: no config/,
    );
  });
});
