import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createManagementApiClient,
  ManagementApiMessenger,
  type MessengerPolicy,
} from '../functions/adapters/apigw/management-api-messenger.js';
import { SignedPostMessenger } from '../functions/adapters/apigw/signed-post-messenger.js';
import type { ConnectionMessenger } from '../functions/realtime/ports.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A stand-in for the management API that answers each call with the next scripted reply. */
async function managementApi(replies: ((response: ServerResponse) => void)[]) {
  const calls: { method: string; url: string; body: string }[] = [];
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      calls.push({ method: request.method ?? '', url: request.url ?? '', body });
      const reply = replies[Math.min(calls.length - 1, replies.length - 1)];
      reply?.(response);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, endpoint };
}

/**
 * The two ways PostToConnection is sent (docs/realtime.md): the SDK client (the ws function's
 * replies) and the lean signed path (the fan-out's waves). Both keep the same guarantees.
 */
const messengers: Record<
  string,
  (
    endpoint: string,
    policy: MessengerPolicy,
    onError?: (id: string, e: unknown) => void,
  ) => { messenger: ConnectionMessenger; close: () => Promise<void> | void }
> = {
  'SDK client': (endpoint, policy, onError) => {
    const client = createManagementApiClient({
      endpoint,
      region: 'us-east-1',
      maxSockets: 4,
      timeoutMs: 300,
    });
    return { messenger: new ManagementApiMessenger(client, policy, onError), close: () => client.destroy() };
  },
  'signed lean path': (endpoint, policy, onError) => {
    const messenger = new SignedPostMessenger({
      endpoint,
      region: 'us-east-1',
      credentials: async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }),
      maxSockets: 4,
      timeoutMs: 300,
      policy,
      ...(onError ? { onError } : {}),
    });
    return { messenger, close: () => messenger.destroy() };
  },
};

const error = (status: number, type: string) => (response: ServerResponse) => {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-ErrorType': type });
  response.end(JSON.stringify({ message: type }));
};
const ok = (response: ServerResponse) => {
  response.writeHead(200);
  response.end();
};
const policy = { throttleRetries: 3, backoffBaseMs: 5, backoffMaxMs: 20 };

describe.each(Object.keys(messengers))('management API messenger: %s', (kind) => {
  const make = messengers[kind] as (typeof messengers)[string];
  it('posts the bytes to /@connections/{id}, URL-encoding the id', async () => {
    const { calls, endpoint } = await managementApi([ok]);
    const { messenger, close } = make(endpoint, policy);
    expect(await messenger.post('ab+c/d=', Buffer.from('{"x":1}'))).toBe('delivered');
    expect(calls).toEqual([{ method: 'POST', url: '/@connections/ab%2Bc%2Fd%3D', body: '{"x":1}' }]);
    await close();
  });

  it('retries 429 / throttling with backoff, then delivers', async () => {
    const { calls, endpoint } = await managementApi([
      error(429, 'LimitExceededException'),
      error(429, 'TooManyRequestsException'),
      ok,
    ]);
    const { messenger, close } = make(endpoint, policy);
    expect(await messenger.post('c1', Buffer.from('m'))).toBe('delivered');
    expect(calls).toHaveLength(3);
    await close();
  });

  it('gives up after the throttling retries', async () => {
    const { calls, endpoint } = await managementApi([error(429, 'LimitExceededException')]);
    const failures: unknown[] = [];
    const { messenger, close } = make(endpoint, policy, (_, e) => failures.push(e));
    expect(await messenger.post('c1', Buffer.from('m'))).toBe('failed');
    expect(calls).toHaveLength(4);
    expect(failures).toHaveLength(1);
    await close();
  });

  it('410 Gone is gone, at once', async () => {
    const { calls, endpoint } = await managementApi([error(410, 'GoneException')]);
    const { messenger, close } = make(endpoint, policy);
    expect(await messenger.post('c1', Buffer.from('m'))).toBe('gone');
    expect(calls).toHaveLength(1);
    await close();
  });

  it('a 5xx is not retried: the message may have been delivered, a repeat would repeat a seq', async () => {
    const { calls, endpoint } = await managementApi([error(500, 'InternalServerErrorException'), ok]);
    const { messenger, close } = make(endpoint, policy);
    expect(await messenger.post('c1', Buffer.from('m'))).toBe('failed');
    expect(calls).toHaveLength(1);
    await close();
  });

  it('a call that hangs is cut by the hard timeout (AbortSignal)', async () => {
    const { calls, endpoint } = await managementApi([() => undefined]); // never answers
    const started = Date.now();
    const { messenger, close } = make(endpoint, policy);
    expect(await messenger.post('c1', Buffer.from('m'))).toBe('failed');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2_000);
    expect(calls).toHaveLength(1);
    await close();
    server?.closeAllConnections();
  });
});
