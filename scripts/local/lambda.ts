import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { BuiltFunction, FunctionName } from '../build-functions.js';
import { describeError, LocalRuntimeError } from './log.js';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  name: FunctionName;
  handler: LambdaHandler;
  timeoutMs: number;
  /** Time the import (the cold start: bundle load and top-level await) took. */
  coldStartMs: number;
  stats: { invocations: number; errors: number };
  /** Calls the handler with a fresh Lambda context; counts invocations and errors. */
  invoke: (event: unknown) => Promise<unknown>;
}

const REGION_ACCOUNT = (region: string) => `arn:aws:lambda:${region}:000000000000:function`;

function lambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `${REGION_ACCOUNT(region)}:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const EMPTY_METRICS_WARNING = 'No application metrics to publish.';

/**
 * Locally one module instance of each function serves concurrent invocations (on Lambda an
 * instance serves one at a time), so the Powertools Metrics buffer is shared: one invocation's
 * `publishStoredMetrics()` clears another's metrics, and the second one warns that it has none.
 * That warning is an artifact of the sharing; with metrics disabled (the local default) it is
 * dropped from the output instead of printing a line per request under load.
 */
export function dropSharedInstanceMetricsWarnings(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.startsWith(EMPTY_METRICS_WARNING)) {
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/** A callback-style handler (event, context, callback) is adapted to a promise, as Lambda does. */
function asAsync(handler: (...args: unknown[]) => unknown): LambdaHandler {
  if (handler.length < 3) return handler as LambdaHandler;
  return (event, context) =>
    new Promise((resolve, reject) => {
      const result = handler(event, context, (error: unknown, value: unknown) =>
        error ? reject(error) : resolve(value),
      );
      if (result && typeof (result as Promise<unknown>).then === 'function')
        (result as Promise<unknown>).then(resolve, reject);
    });
}

/**
 * Imports the bundles one at a time, each after setting its own POWERTOOLS_SERVICE_NAME: the
 * handlers read process.env at import (their cold start), so the environment must be complete
 * before. A cold start that throws (bad configuration) stops the runtime with its message.
 */
export async function loadFunctions(
  built: readonly BuiltFunction[],
  options: { prefix: string; region: string; timeoutsMs: Partial<Record<FunctionName, number>> },
): Promise<Map<FunctionName, LocalFunction>> {
  const functions = new Map<FunctionName, LocalFunction>();
  for (const { name, file } of built) {
    const functionName = `${options.prefix}-${name}`;
    process.env.POWERTOOLS_SERVICE_NAME = `${options.prefix.replace(/-local$/, '')}-${name}`;
    let module: { handler?: unknown };
    const started = performance.now();
    try {
      module = (await import(pathToFileURL(file).href)) as { handler?: unknown };
    } catch (error) {
      throw new LocalRuntimeError(`the ${name} function failed at cold start: ${describeError(error)}`);
    }
    if (typeof module.handler !== 'function') {
      throw new LocalRuntimeError(`functions/${name}/lambda.ts does not export a handler function`);
    }
    const handler = asAsync(module.handler as (...args: unknown[]) => unknown);
    const timeoutMs = options.timeoutsMs[name] ?? 10_000;
    const stats = { invocations: 0, errors: 0 };
    functions.set(name, {
      name,
      handler,
      timeoutMs,
      coldStartMs: Math.round(performance.now() - started),
      stats,
      invoke: async (event) => {
        stats.invocations++;
        try {
          return await handler(event, lambdaContext(functionName, options.region, timeoutMs));
        } catch (error) {
          stats.errors++;
          throw error;
        }
      },
    });
  }
  delete process.env.POWERTOOLS_SERVICE_NAME;
  return functions;
}
