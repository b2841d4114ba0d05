/**
 * One local Lambda execution environment: the entry of a worker thread started by function-pool.ts.
 *
 * As on Lambda, the bundle is imported once (the init phase, timed as the cold start), then the
 * instance serves one invocation at a time: the pool sends `invoke` only to an idle instance. The
 * thread has its own module instance, event loop, heap limit and `process.env`, so a busy function
 * never delays another, and module state (clients, caches, the Powertools metrics buffer) is per
 * instance as on AWS. Events and results cross as JSON strings, as they do through the Lambda API.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { osThreadId } from '../threads/os-thread.js';
import { profileThisThread } from '../threads/thread-profiler.js';

export interface InstanceData {
  file: string;
  functionName: string;
  region: string;
  timeoutMs: number;
  memoryMb: number;
}

export type InstanceRequest = { type: 'invoke'; id: number; event: string };

export type InstanceReply =
  | { type: 'ready'; initMs: number; threadId: number | undefined }
  | { type: 'init-error'; message: string }
  | {
      type: 'result';
      id: number;
      ok: boolean;
      /** JSON of the handler's result (undefined: no result). */
      value?: string | undefined;
      error?: { name: string; message: string; stack?: string | undefined };
      durationMs: number;
      heapUsedMb: number;
    };

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const data = workerData as InstanceData;
profileThisThread(`function-${data.functionName}`);
const port = parentPort;
if (!port) throw new Error('function-instance.ts runs only as a worker thread of function-pool.ts');

function lambdaContext(requestId: string): Context {
  const deadline = Date.now() + data.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${data.region}:000000000000:function:${data.functionName}`,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: `local/${process.pid}/${randomUUID().slice(0, 8)}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A callback-style handler (event, context, callback) is adapted to a promise, as Lambda does. */
function asAsync(handler: (...args: unknown[]) => unknown): Handler {
  if (handler.length < 3) return handler as Handler;
  return (event, context) =>
    new Promise((resolve, reject) => {
      const result = handler(event, context, (error: unknown, value: unknown) =>
        error ? reject(error) : resolve(value),
      );
      if (result && typeof (result as Promise<unknown>).then === 'function')
        (result as Promise<unknown>).then(resolve, reject);
    });
}

const describe = (error: unknown) =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };

async function init(): Promise<Handler | undefined> {
  const started = performance.now();
  try {
    const module = (await import(pathToFileURL(data.file).href)) as { handler?: unknown };
    if (typeof module.handler !== 'function') {
      port?.postMessage({ type: 'init-error', message: 'the bundle does not export a handler function' });
      return undefined;
    }
    port?.postMessage({
      type: 'ready',
      initMs: Math.round(performance.now() - started),
      threadId: osThreadId(),
    });
    return asAsync(module.handler as (...args: unknown[]) => unknown);
  } catch (error) {
    const { name, message } = describe(error);
    port?.postMessage({ type: 'init-error', message: `${name}: ${message}` });
    return undefined;
  }
}

const handler = await init();
if (handler) {
  port.on('message', async (request: InstanceRequest) => {
    const started = performance.now();
    let reply: InstanceReply;
    try {
      const value = await handler(JSON.parse(request.event), lambdaContext(randomUUID()));
      reply = {
        type: 'result',
        id: request.id,
        ok: true,
        value: value === undefined ? undefined : JSON.stringify(value),
        durationMs: performance.now() - started,
        heapUsedMb: getHeapStatistics().used_heap_size / 2 ** 20,
      };
    } catch (error) {
      reply = {
        type: 'result',
        id: request.id,
        ok: false,
        error: describe(error),
        durationMs: performance.now() - started,
        heapUsedMb: getHeapStatistics().used_heap_size / 2 ** 20,
      };
    }
    port.postMessage(reply);
  });
}
