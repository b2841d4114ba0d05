/**
 * A local Lambda function: a pool of execution environments (worker threads running
 * function-instance.ts), each with its own module instance, event loop and heap, never on the
 * gateways' event loop.
 *
 * As on Lambda:
 * - an instance serves one invocation at a time; a new one is started (a cold start, timed) when all
 *   are busy, up to `maxInstances` (the function's concurrency); beyond that invocations wait in
 *   order (on AWS a synchronous invoke past the concurrency limit is throttled instead: see docs/decisions/local-runtime.md);
 * - an invocation that runs past the function's timeout fails with `Task timed out after N seconds`
 *   and its instance is thrown away (Lambda resets the environment), so the next one starts cold;
 * - an instance whose thread dies fails its invocation (`Runtime exited`) and is replaced;
 * - the heap limit is the function's memory size.
 */
import { Worker } from 'node:worker_threads';
import { LocalRuntimeError } from '../shared/log.js';
import { threadEntryFile } from '../threads/thread-entries.js';
import type { InstanceData, InstanceReply, InstanceRequest } from './function-instance.js';

export interface FunctionStats {
  invocations: number;
  errors: number;
  timeouts: number;
  coldStarts: number;
  initMs: number[];
  /** Durations of the invocations (ms), for the summary's percentiles; the newest 10,000 are kept. */
  durationsMs: number[];
  maxHeapUsedMb: number;
}

export interface LocalFunction {
  name: string;
  timeoutMs: number;
  stats: FunctionStats;
  /** Invokes the handler with a Lambda context in an idle (or new) instance; rejects with its error. */
  invoke: (event: unknown) => Promise<unknown>;
  /** Instances running now. */
  instanceCount: () => number;
  /** OS thread ids of the instances running now (Linux), for benchmarks that read their CPU time. */
  threadIds: () => number[];
  stop: () => Promise<void>;
}

export interface FunctionPoolOptions {
  /** Short name (`http`) and the Lambda function name (`live-sale-local-http`). */
  name: string;
  functionName: string;
  /** The bundled entry (ESM) exporting `handler`. */
  file: string;
  region: string;
  timeoutMs: number;
  memoryMb: number;
  maxInstances: number;
  /** The function's environment (its own copy, as each Lambda has). */
  env: Record<string, string | undefined>;
}

/** The error a timed-out invocation rejects with, shaped like Lambda's `Sandbox.Timedout`. */
export class FunctionTimeoutError extends Error {
  override name = 'Sandbox.Timedout';
}

interface Instance {
  worker: Worker;
  ready: Promise<void>;
  started: boolean;
  threadId?: number | undefined;
  current?: {
    id: number;
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
    timer: NodeJS.Timeout;
  };
}

const KEPT_DURATIONS = 10_000;

function errorFrom(reply: NonNullable<Extract<InstanceReply, { type: 'result' }>['error']>): Error {
  const error = new Error(reply.message);
  error.name = reply.name;
  if (reply.stack) error.stack = reply.stack;
  return error;
}

export async function startFunctionPool(options: FunctionPoolOptions): Promise<LocalFunction> {
  const entry = await threadEntryFile('function-instance');
  const stats: FunctionStats = {
    invocations: 0,
    errors: 0,
    timeouts: 0,
    coldStarts: 0,
    initMs: [],
    durationsMs: [],
    maxHeapUsedMb: 0,
  };
  const instances = new Set<Instance>();
  /**
   * Instances free for an invocation, the most recently freed last: dispatch takes from the end, so
   * a steady trickle keeps reusing the same warm instance, as Lambda's router prefers warm ones.
   */
  const idle: Instance[] = [];
  /** Instances in their cold start. */
  let starting = 0;
  const waiting: { event: string; resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  let nextId = 1;
  let stopped = false;

  const forgetIdle = (instance: Instance) => {
    const at = idle.indexOf(instance);
    if (at >= 0) idle.splice(at, 1);
  };
  const discard = (instance: Instance) => {
    instances.delete(instance);
    forgetIdle(instance);
    void instance.worker.terminate();
  };
  const coldStartEnded = (instance: Instance) => {
    if (instance.started) return;
    instance.started = true;
    starting--;
  };

  const startInstance = (): Instance => {
    stats.coldStarts++;
    starting++;
    const data: InstanceData = {
      file: options.file,
      functionName: options.functionName,
      region: options.region,
      timeoutMs: options.timeoutMs,
      memoryMb: options.memoryMb,
    };
    const worker = new Worker(entry, {
      workerData: data,
      env: options.env,
      name: options.functionName,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb },
    });
    let readyResolve: () => void = () => undefined;
    let readyReject: (error: Error) => void = () => undefined;
    const instance: Instance = {
      worker,
      started: false,
      ready: new Promise<void>((resolve, reject) => {
        readyResolve = resolve;
        readyReject = reject;
      }),
    };
    instance.ready.catch(() => undefined);
    worker.on('message', (reply: InstanceReply) => {
      if (reply.type === 'ready') {
        stats.initMs.push(reply.initMs);
        instance.threadId = reply.threadId;
        coldStartEnded(instance);
        idle.push(instance);
        readyResolve();
        dispatch();
      } else if (reply.type === 'init-error') {
        coldStartEnded(instance);
        readyReject(
          new LocalRuntimeError(`the ${options.name} function failed at cold start: ${reply.message}`),
        );
        discard(instance);
      } else if (reply.type === 'result') {
        const current = instance.current;
        if (!current || current.id !== reply.id) return;
        clearTimeout(current.timer);
        instance.current = undefined;
        idle.push(instance);
        stats.durationsMs.push(reply.durationMs);
        if (stats.durationsMs.length > KEPT_DURATIONS) stats.durationsMs.splice(0, KEPT_DURATIONS / 2);
        stats.maxHeapUsedMb = Math.max(stats.maxHeapUsedMb, reply.heapUsedMb);
        if (reply.ok) current.resolve(reply.value === undefined ? undefined : JSON.parse(reply.value));
        else {
          stats.errors++;
          current.reject(errorFrom(reply.error ?? { name: 'Error', message: 'unknown error' }));
        }
        dispatch();
      }
    });
    const died = (reason: string) => {
      readyReject(new LocalRuntimeError(`the ${options.name} function failed at cold start: ${reason}`));
      if (!instances.has(instance)) return;
      coldStartEnded(instance);
      instances.delete(instance);
      forgetIdle(instance);
      const current = instance.current;
      if (current) {
        clearTimeout(current.timer);
        stats.errors++;
        const error = new Error(`Runtime exited: ${reason}`);
        error.name = 'Runtime.ExitError';
        current.reject(error);
      }
      dispatch();
    };
    worker.on('error', (error) => died(`${error.name}: ${error.message}`));
    worker.on('exit', (code) => died(`exit code ${code}`));
    instances.add(instance);
    return instance;
  };

  const run = (instance: Instance, job: (typeof waiting)[number]) => {
    const id = nextId++;
    stats.invocations++;
    const timer = setTimeout(() => {
      if (instance.current?.id !== id) return;
      stats.timeouts++;
      stats.errors++;
      instance.current = undefined;
      discard(instance);
      job.reject(
        new FunctionTimeoutError(`Task timed out after ${(options.timeoutMs / 1000).toFixed(2)} seconds`),
      );
      dispatch();
    }, options.timeoutMs);
    instance.current = { id, resolve: job.resolve, reject: job.reject, timer };
    const request: InstanceRequest = { type: 'invoke', id, event: job.event };
    instance.worker.postMessage(request);
  };

  /** Hands waiting invocations to idle instances, starting instances up to the limit. */
  function dispatch(): void {
    while (waiting.length > 0 && !stopped) {
      const free = idle.pop();
      if (free) {
        run(free, waiting.shift() as (typeof waiting)[number]);
        continue;
      }
      if (instances.size < options.maxInstances && starting < waiting.length) {
        startInstance();
        continue;
      }
      return;
    }
  }

  // The first instance starts now, so a function that cannot start stops the runtime at once.
  const first = startInstance();
  await first.ready;

  return {
    name: options.name,
    timeoutMs: options.timeoutMs,
    stats,
    instanceCount: () => instances.size,
    threadIds: () => [...instances].flatMap((instance) => (instance.threadId ? [instance.threadId] : [])),
    invoke: (event) =>
      new Promise((resolve, reject) => {
        if (stopped) {
          reject(new Error(`${options.name}: the local runtime is stopping`));
          return;
        }
        waiting.push({ event: JSON.stringify(event ?? null), resolve, reject });
        dispatch();
      }),
    stop: async () => {
      stopped = true;
      for (const job of waiting.splice(0))
        job.reject(new Error(`${options.name}: the local runtime stopped`));
      await Promise.all([...instances].map((instance) => instance.worker.terminate()));
      instances.clear();
      idle.length = 0;
    },
  };
}
