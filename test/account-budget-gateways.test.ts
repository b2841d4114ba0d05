/**
 * One account budget, as on AWS (API Gateway throttles "across HTTP APIs, REST APIs, WebSocket APIs,
 * and WebSocket callback APIs"): the local HTTP gateway, the WebSocket gateway's connects and
 * inbound messages and its management API all take from the same bucket, and each answers a
 * request over it as API Gateway does, without invoking the function.
 */
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountBudget,
  type HttpGateway,
  type LocalFunction,
  startHttpGateway,
  startWebSocketGateway,
  type WebSocketGateway,
} from '../local-aws/index.js';
import { connectClient, type TestClient, waitFor } from './ws-helpers.js';

const LOCAL = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('the HTTP API, the WebSocket API and the management API share one budget', () => {
  // 30 requests at once, then one a second: the test spends it in a known order.
  const budget = new AccountBudget({ ratePerSecond: 1, burst: 30 });
  const invoked = { http: 0, messages: 0 };
  let http: HttpGateway;
  let ws: WebSocketGateway;
  let client: TestClient;
  let connectionId = '';

  beforeAll(async () => {
    const fn: LocalFunction = {
      name: 'http',
      timeoutMs: 10_000,
      invoke: async () => {
        invoked.http++;
        return { statusCode: 200, body: '{"ok":true}' };
      },
    };
    http = await startHttpGateway(fn, 0, '127.0.0.1', { accountBudget: budget });
    ws = await startWebSocketGateway({
      accountBudget: budget.share(),
      handler: async (event) => {
        if (event.requestContext.eventType === 'CONNECT') connectionId = event.requestContext.connectionId;
        if (event.requestContext.eventType === 'MESSAGE') invoked.messages++;
        return { statusCode: 200 };
      },
    });
    client = await connectClient(ws.url);
    await waitFor(() => connectionId !== '', 2_000, '$connect');
  });
  afterAll(async () => {
    await client?.close();
    await ws?.close();
    await http?.stop();
  });

  const post = (body: string) => {
    const url = new URL(ws.managementEndpoint);
    const path = `/@connections/${encodeURIComponent(connectionId)}`;
    const signed = aws4.sign(
      { host: url.host, path, method: 'POST', service: 'execute-api', region: 'us-east-1', body },
      LOCAL,
    );
    const { 'Content-Length': _length, ...headers } = signed.headers as Record<string, string | number>;
    return fetch(`${ws.managementEndpoint}${path}`, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)])),
      body,
    });
  };

  it('spends the burst across all three, then answers each as API Gateway does', async () => {
    // 1 connect spent in beforeAll; 20 pushes to the watcher; 1 message from it; 8 HTTP requests.
    for (let n = 0; n < 20; n++) expect((await post(`{"n":${n}}`)).status).toBe(200);
    client.socket.send('{"action":"hello"}');
    await waitFor(() => invoked.messages === 1, 2_000, 'the message routed');
    for (let n = 0; n < 8; n++) expect((await fetch(`${http.url}/health`)).status).toBe(200);
    expect(invoked.http).toBe(8);

    // Spent (a token may have come back meanwhile: at most one more of anything gets through).
    const answers = await Promise.all(Array.from({ length: 3 }, () => fetch(`${http.url}/health`)));
    const throttled = answers.filter((answer) => answer.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(2);
    expect(await throttled[0]?.json()).toEqual({ message: 'Too Many Requests' });
    expect(invoked.http).toBeLessThanOrEqual(9);

    const pushes = await Promise.all([post('{"late":1}'), post('{"late":2}')]);
    const refused = pushes.find((answer) => answer.status === 429);
    expect(refused?.headers.get('x-amzn-errortype')).toBe('LimitExceededException');

    const before = client.messages.length;
    client.socket.send('{"action":"hello"}');
    client.socket.send('{"action":"hello"}');
    await waitFor(() => client.messages.length >= before + 1, 2_000, 'the throttle message');
    const notice = client.json<{ message: string; connectionId: string }>().at(-1);
    expect(notice).toMatchObject({ message: 'Too Many Requests', connectionId });
    expect(invoked.messages).toBeLessThanOrEqual(2);

    await expect(connectClient(ws.url)).rejects.toThrow(/429/);
    const stats = budget.stats();
    expect(stats.taken.management).toBeGreaterThanOrEqual(20);
    expect(
      stats.throttled.http + stats.throttled.management + stats.throttled.message + stats.throttled.connect,
    ).toBeGreaterThanOrEqual(5);
    expect(ws.managementStats.messagesThrottled).toBeGreaterThanOrEqual(1);
    expect(ws.managementStats.connectsThrottled).toBe(1);
  });
});
