import { describe, expect, it } from 'vitest';
import { ConfigurationError, readEnvironment, required, resolveSecret } from './config.js';

describe('configuration at cold start', () => {
  it('fails loudly, naming every bad variable', () => {
    expect(() => readEnvironment({ REDIS_URL: 'http://nope', JWT_SECRET: 'short' })).toThrow(
      /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL.*JWT_SECRET: must be at least 16 characters/,
    );
    expect(() => readEnvironment({})).toThrow(ConfigurationError);
  });

  it('names a variable a function needs but did not get', () => {
    const env = readEnvironment({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(() => required(env, 'PERSIST_QUEUE_URL')).toThrow(
      'missing configuration: PERSIST_QUEUE_URL must be set',
    );
  });

  it('takes a secret given directly and refuses a missing one before any network call', async () => {
    const env = readEnvironment({
      REDIS_URL: 'redis://127.0.0.1:6379',
      JWT_SECRET: 'a-secret-of-enough-length',
    });
    expect(await resolveSecret(env, 'JWT_SECRET', 'JWT_SECRET_ARN')).toBe('a-secret-of-enough-length');
    await expect(resolveSecret(env, 'WEBHOOK_SECRET', 'WEBHOOK_SECRET_ARN')).rejects.toThrow(
      'missing configuration: WEBHOOK_SECRET or WEBHOOK_SECRET_ARN must be set',
    );
  });

  it('applies the documented defaults', () => {
    const env = readEnvironment({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(env).toMatchObject({
      BID_RATE_LIMIT: 10,
      BID_RATE_WINDOW_MS: 1_000,
      SQS_COALESCE_MS: 0,
      REDIS_CLUSTER: false,
    });
  });
});
