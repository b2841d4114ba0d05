import { type Environment, resolveSecret } from '../../config.js';
import { createRedisClient, type RedisClient } from './client.js';

/**
 * The Redis client of a function, from its configuration: the AUTH token given directly (local) or
 * read from Secrets Manager by ARN (AWS), once per cold start.
 */
export async function createRedisFromEnvironment(
  env: Environment,
  onError?: (error: Error) => void,
): Promise<RedisClient> {
  const authToken = env.REDIS_AUTH_SECRET_ARN
    ? await resolveSecret(env, 'REDIS_AUTH_TOKEN', 'REDIS_AUTH_SECRET_ARN')
    : env.REDIS_AUTH_TOKEN;
  return createRedisClient({
    url: env.REDIS_URL,
    cluster: env.REDIS_CLUSTER,
    authToken,
    ...(onError ? { onError } : {}),
  });
}
