import { Redis } from 'ioredis';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { createTestDatabase } from './support/postgres-database.js';
import { startRedisCluster } from './support/redis-servers.js';
import { startLocalSqs } from './support/sqs-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisClusterUrl: string;
    sqsEndpoint: string;
    databaseUrl: string;
  }
}

/**
 * Real dependencies for the whole run: the machine's Redis (REDIS_URL or 127.0.0.1:6379), a private
 * 3-node Redis Cluster started here, and an in-process SQS-protocol server.
 */
export default async function setup(project: TestProject) {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    throw new Error(
      `Redis is not reachable at ${redisUrl}. Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
    );
  } finally {
    probe.disconnect();
  }
  const cluster = await startRedisCluster();
  const sqs = await startLocalSqs([]);
  const database = await createTestDatabase();
  project.provide('redisUrl', redisUrl);
  project.provide('redisClusterUrl', `redis://127.0.0.1:${cluster.ports[0]}`);
  project.provide('sqsEndpoint', sqs.endpoint);
  project.provide('databaseUrl', database.url);
  return async () => {
    await database.drop();
    await sqs.stop();
    await cluster.stop();
  };
}
