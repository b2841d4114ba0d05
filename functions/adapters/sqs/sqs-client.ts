import { SQSClient } from '@aws-sdk/client-sqs';
import type { Environment } from '../../config.js';

/** One SQS client per cold start; `SQS_ENDPOINT` points it at a local server (dummy credentials). */
export function createSqsClient(env: Pick<Environment, 'AWS_REGION' | 'SQS_ENDPOINT'>): SQSClient {
  return new SQSClient({
    region: env.AWS_REGION,
    // SQS checks the MD5 of what it stored against what was sent over TLS already; skipping the
    // client-side recomputation saves CPU on the bid path.
    md5: false,
    // The middleware stack is resolved once per command class, not on every send (the publisher
    // passes no per-call options, which would turn the cache off).
    cacheMiddleware: true,
    ...(env.SQS_ENDPOINT
      ? { endpoint: env.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}
