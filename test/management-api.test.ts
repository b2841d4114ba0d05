/**
 * The local management API is as strict as API Gateway's: SigV4 for `execute-api` with the local
 * credentials, the account-wide request budget (429 LimitExceededException), the new-connection
 * rate. And the fan-out still delivers the newest state to everyone when throttled.
 */
import { createHash } from 'node:crypto';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SignedPostMessenger } from '../functions/adapters/apigw/signed-post-messenger.js';
import { startWebSocketGateway, type WebSocketGateway } from '../local-aws/index.js';
import { tokenFor } from './support/tokens.js';
import {
  connectClient,
  type RealtimeStack,
  startRealtimeStack,
  subscribedClient,
  type TestClient,
  waitFor,
} from './ws-helpers.js';

const LOCAL = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('signatures', () => {
  let gateway: WebSocketGateway;
  let client: TestClient;
  let connectionId: string;
  beforeAll(async () => {
    let lastConnect = '';
    gateway = await startWebSocketGateway({
      handler: async (event) => {
        if (event.requestContext.eventType === 'CONNECT') lastConnect = event.requestContext.connectionId;
        return { statusCode: 200 };
      },
    });
    client = await connectClient(gateway.url);
    await waitFor(() => lastConnect !== '', 2_000, '$connect');
    connectionId = lastConnect;
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  const path = () => `/@connections/${encodeURIComponent(connectionId)}`;
  async function post(headers: Record<string, string>, body: string) {
    const response = await fetch(`${gateway.managementEndpoint}${path()}`, { method: 'POST', headers, body });
    return {
      status: response.status,
      type: response.headers.get('x-amzn-errortype'),
      text: await response.text(),
    };
  }
  function signed(body: string, credentials = LOCAL, extra: Record<string, string> = {}) {
    const url = new URL(gateway.managementEndpoint);
    const request = aws4.sign(
      {
        host: url.host,
        path: path(),
        method: 'POST',
        service: 'execute-api',
        region: 'us-east-1',
        body,
        headers: extra,
      },
      credentials,
    );
    // fetch sets Content-Length itself from the body it sends.
    const { 'Content-Length': _length, ...headers } = request.headers as Record<string, string | number>;
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));
  }

  it('an unsigned call is refused with 403 ForbiddenException and nothing is delivered', async () => {
    const before = client.messages.length;
    const answer = await post({ 'content-type': 'application/json' }, '{"forged":true}');
    expect(answer).toMatchObject({ status: 403, type: 'ForbiddenException' });
    expect(answer.text).toContain('Missing Authentication Token');
    expect(client.messages.length).toBe(before);
  });

  it('a call signed with other credentials, or whose body changed after signing, is refused', async () => {
    const before = client.messages.length;
    const wrongKey = await post(
      signed('{"a":1}', { accessKeyId: 'local', secretAccessKey: 'guess' }),
      '{"a":1}',
    );
    expect(wrongKey).toMatchObject({ status: 403, type: 'ForbiddenException' });
    const otherUser = await post(
      signed('{"a":1}', { accessKeyId: 'someone', secretAccessKey: 'local' }),
      '{"a":1}',
    );
    expect(otherUser.status).toBe(403);
    const tampered = await post(signed('{"amount":1}'), '{"amount":9}');
    expect(tampered.status).toBe(403);
    const staleDate = signed('{"a":1}', LOCAL, { 'X-Amz-Date': '20200101T000000Z' });
    expect((await post(staleDate, '{"a":1}')).status).toBe(403);
    expect(client.messages.length).toBe(before);
    expect(gateway.managementStats.forbidden).toBeGreaterThanOrEqual(5);
  });

  it('calls signed by the SDK client and by the fan-out messenger (aws4) are delivered', async () => {
    const sdk = new ApiGatewayManagementApiClient({
      endpoint: gateway.managementEndpoint,
      region: 'us-east-1',
      credentials: LOCAL,
    });
    await sdk.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"via":"sdk"}') }),
    );
    sdk.destroy();
    const lean = new SignedPostMessenger({
      endpoint: gateway.managementEndpoint,
      region: 'us-east-1',
      credentials: async () => LOCAL,
      maxSockets: 4,
      timeoutMs: 2_000,
    });
    const data = Buffer.from('{"via":"aws4"}');
    expect(await lean.post(connectionId, data)).toBe('delivered');
    // The payload hash is cached per payload: a second receiver (here the same one) reuses it.
    expect(await lean.post(connectionId, data)).toBe('delivered');
    expect(await lean.post('bm90LWEtY29ubmVjdGlvbg==', data)).toBe('gone');
    await lean.destroy();
    await waitFor(() => client.messages.length >= 3, 2_000, 'deliveries');
    expect(client.messages.slice(-3)).toEqual(['{"via":"sdk"}', '{"via":"aws4"}', '{"via":"aws4"}']);
    expect(createHash('sha256').update(data).digest('hex')).toHaveLength(64);
  });
});

describe('throttling', () => {
  it('new connections beyond the per-second budget are refused with 429 at the handshake', async () => {
    const gateway = await startWebSocketGateway({
      handler: async () => ({ statusCode: 200 }),
      connectRate: { perSecond: 5, burst: 5 },
    });
    const attempts = await Promise.allSettled(Array.from({ length: 12 }, () => connectClient(gateway.url)));
    const refused = attempts.filter((a) => a.status === 'rejected');
    expect(refused.length).toBeGreaterThanOrEqual(6);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toContain('429');
    for (const attempt of attempts) if (attempt.status === 'fulfilled') await attempt.value.close();
    await gateway.close();
  });

  describe('a fan-out over a small management budget', () => {
    let stack: RealtimeStack;
    beforeAll(async () => {
      stack = await startRealtimeStack({
        redisUrl: inject('redisUrl'),
        sqsEndpoint: inject('sqsEndpoint'),
        partSize: 1_000,
        // 60 posts at once against a bucket of 10 refilled at 200/s: most first attempts are 429.
        gateway: { managementRate: { perSecond: 200, burst: 10 } },
      });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('is answered 429, backs off, and still gives every watcher the newest state in increasing seq', async () => {
      const auction = await stack.http.createAuction();
      const topic = `auction:${auction.id}`;
      const watchers: TestClient[] = [];
      for (let i = 0; i < 60; i++) watchers.push(await subscribedClient(stack.gateway.url, topic));
      const throttledBefore = stack.gateway.managementStats.throttled;
      let finalSeq = 0;
      for (let i = 0; i < 5; i++) {
        const response = await stack.http.request(`/auctions/${auction.id}/bids`, {
          method: 'POST',
          token: await tokenFor(`bidder-${i}`),
          body: { amount: 1_000 + i * 100 },
        });
        expect(response.status).toBe(201);
        finalSeq = ((await response.json()) as { auction: { seq: number } }).auction.seq;
      }
      const lastSeq = (client: TestClient) =>
        client
          .json<{ topic?: string; seq?: number }>()
          .filter((m) => m.topic === topic)
          .at(-1)?.seq ?? 0;
      await waitFor(
        () => watchers.every((w) => lastSeq(w) === finalSeq),
        20_000,
        'the newest state everywhere',
      );
      expect(stack.gateway.managementStats.throttled).toBeGreaterThan(throttledBefore);
      for (const w of watchers) {
        const seqs = w
          .json<{ topic?: string; seq?: number }>()
          .filter((m) => m.topic === topic)
          .map((m) => m.seq as number);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] as number);
      }
      await Promise.all(watchers.map((w) => w.close()));
    });
  });
});
