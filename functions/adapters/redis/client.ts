import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { LuaScript } from './lua-script.js';

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  url: string;
  cluster: boolean;
  authToken?: string | undefined;
  /** Connection-level errors (each failed command also rejects on its own); default: ignored. */
  onError?: (error: Error) => void;
}

/**
 * One client per cold start. Settings follow what bites Lambdas: a frozen environment resumes with
 * dead sockets (short connect and command timeouts make that fail fast and reconnect instead of
 * hanging until the function times out), and a bounded retry count turns a Redis outage into a
 * quick 503 instead of a queue of waiting requests.
 */
export function createRedisClient(options: RedisConnectionOptions): RedisClient {
  const url = new URL(options.url);
  const tls = url.protocol === 'rediss:' ? {} : undefined;
  const password = options.authToken ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const common: RedisOptions = {
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    reconnectOnError: (error) => /READONLY|ETIMEDOUT|ECONNRESET/.test(error.message),
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
  };
  const port = Number(url.port || 6379);
  const client = options.cluster
    ? createCluster()
    : new Redis({ ...common, host: url.hostname, port, db: Number(url.pathname.slice(1) || 0) });
  // Without a listener ioredis prints every failed reconnect attempt as an unhandled error event.
  client.on('error', (error: Error) => options.onError?.(error));
  LuaScript.defineAll(client);
  return client;

  function createCluster(): Cluster {
    return new Cluster([{ host: url.hostname, port }], {
      redisOptions: common,
      dnsLookup: (address, callback) => callback(null, address),
      slotsRefreshTimeout: 2_000,
      enableAutoPipelining: true,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    });
  }
}
