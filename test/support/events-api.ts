import aws4 from 'aws4';
import type { EventsApi } from '../../local-aws/index.js';

export const LOCAL_IAM = { accessKeyId: 'local', secretAccessKey: 'local' };

/** POST /event signed with SigV4 (service `appsync`) by aws4, as an IAM principal publishes on AWS. */
export async function signedPublish(
  target: Pick<EventsApi, 'host' | 'httpUrl'>,
  body: unknown,
  credentials = LOCAL_IAM,
): Promise<Response> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const signed = aws4.sign(
    {
      host: target.host,
      method: 'POST',
      path: '/event',
      service: 'appsync',
      region: 'us-east-1',
      headers: { 'content-type': 'application/json' },
      body: text,
    },
    credentials,
  );
  return fetch(target.httpUrl, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body: text,
  });
}

/** `promise`, or a rejection naming `what` after `ms`: a lost event fails the test instead of hanging it. */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
