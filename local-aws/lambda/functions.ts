import { cpus } from 'node:os';
import type { BuiltFunction, FunctionName } from '../../scripts/build-functions.js';
import {
  type FunctionStats,
  type LocalFunction as PooledFunction,
  startFunctionPool,
} from './function-pool.js';

/** What the gateways, event source mappings and schedules need of a function: a way to invoke it. */
export interface LocalFunction {
  name: string;
  timeoutMs: number;
  /** Invokes the handler once with a Lambda context; rejects with the handler's error. */
  invoke: (event: unknown) => Promise<unknown>;
}

export type { FunctionStats, PooledFunction };

export interface FunctionSettings {
  timeoutMs: number;
  memoryMb: number;
  /** Instances at most (the function's local concurrency). */
  maxInstances: number;
}

/**
 * Instances per function at most. On AWS every invocation may get its own instance; on a laptop
 * each instance is a thread with its own heap, so the default is a few per function, enough for the
 * cores to be busy. `LOCAL_INSTANCES="http=4,fanout=2"` overrides.
 */
export function instanceLimits(
  defaults: Record<FunctionName, number>,
  spec = process.env.LOCAL_INSTANCES ?? '',
): Record<FunctionName, number> {
  const limits = { ...defaults };
  for (const part of spec.split(',').filter(Boolean)) {
    const [name, value] = part.split('=');
    const count = Number(value);
    if (!name || !(name in limits) || !Number.isInteger(count) || count < 1) {
      throw new Error(
        `LOCAL_INSTANCES: "${part}" is not <function>=<count> (functions: ${Object.keys(limits).join(', ')})`,
      );
    }
    limits[name as FunctionName] = count;
  }
  return limits;
}

export const DEFAULT_INSTANCES = (): Record<FunctionName, number> => {
  const cores = Math.max(2, cpus().length);
  return { http: cores, ws: 2, writer: 2, fanout: cores, sweeper: 1, migrate: 1 };
};

/**
 * Starts one pool of instances per bundle, each instance with the function's own environment
 * (POWERTOOLS_SERVICE_NAME and the AWS_LAMBDA_* variables Lambda sets). The first instance of each
 * starts now: a cold start that throws (bad configuration) stops the runtime with its message.
 */
export async function loadFunctions(
  built: readonly BuiltFunction[],
  options: {
    prefix: string;
    region: string;
    env: Record<string, string>;
    settings: (name: FunctionName) => FunctionSettings;
  },
): Promise<Map<FunctionName, PooledFunction>> {
  const functions = new Map<FunctionName, PooledFunction>();
  try {
    for (const { name, file } of built) {
      const functionName = `${options.prefix}-${name}`;
      const settings = options.settings(name);
      const pool = await startFunctionPool({
        name,
        functionName,
        file,
        region: options.region,
        ...settings,
        env: {
          ...options.env,
          POWERTOOLS_SERVICE_NAME: `${options.prefix.replace(/-local$/, '')}-${name}`,
          AWS_LAMBDA_FUNCTION_NAME: functionName,
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memoryMb),
          AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        },
      });
      functions.set(name, pool);
    }
  } catch (error) {
    await Promise.all([...functions.values()].map((fn) => fn.stop()));
    throw error;
  }
  return functions;
}
