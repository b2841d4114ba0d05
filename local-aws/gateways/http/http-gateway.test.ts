import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalFunction } from '../../lambda/functions.js';
import { type HttpGateway, startHttpGateway } from './http-gateway.js';

/** A stand-in for the http function: records the events and answers what the test sets. */
function recordingFunction() {
  const events: APIGatewayProxyEventV2[] = [];
  let answer: (event: APIGatewayProxyEventV2) => unknown = () => ({ statusCode: 204 });
  const fn: LocalFunction = {
    name: 'http',
    timeoutMs: 10_000,
    invoke: async (event) => {
      events.push(event as APIGatewayProxyEventV2);
      return answer(event as APIGatewayProxyEventV2);
    },
  };
  return {
    fn,
    events,
    answer: (next: typeof answer) => {
      answer = next;
    },
  };
}

describe('local HTTP API gateway (payload format 2.0)', () => {
  const recorder = recordingFunction();
  let gateway: HttpGateway;

  beforeAll(async () => {
    gateway = await startHttpGateway(recorder.fn, 0, '127.0.0.1');
  });
  afterAll(() => gateway.stop());

  it('turns a request into an API Gateway HTTP API v2 event', async () => {
    recorder.answer(() => ({ statusCode: 200, body: 'ok' }));
    const response = await fetch(`${gateway.url}/auctions/a-1/bids?limit=5&tag=x&tag=y&q=a%20b`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Custom': 'One',
        Cookie: 'session=abc; theme=dark',
        Authorization: 'Bearer t',
      },
      body: '{"amount":1200}',
    });
    expect(response.status).toBe(200);
    const event = recorder.events.at(-1) as APIGatewayProxyEventV2;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/auctions/a-1/bids',
      rawQueryString: 'limit=5&tag=x&tag=y&q=a%20b',
      queryStringParameters: { limit: '5', tag: 'x,y', q: 'a b' },
      cookies: ['session=abc', 'theme=dark'],
      body: '{"amount":1200}',
      isBase64Encoded: false,
      requestContext: {
        routeKey: '$default',
        stage: '$default',
        http: { method: 'POST', path: '/auctions/a-1/bids', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers).toMatchObject({
      'content-type': 'application/json',
      'x-custom': 'One',
      authorization: 'Bearer t',
      'x-forwarded-proto': 'http',
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.requestContext.timeEpoch).toBeGreaterThan(0);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('base64-encodes binary bodies and leaves bodiless requests without one', async () => {
    await fetch(`${gateway.url}/upload`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255, 1, 2]),
    });
    const binary = recorder.events.at(-1) as APIGatewayProxyEventV2;
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body ?? '', 'base64')).toEqual(Buffer.from([0, 255, 1, 2]));

    await fetch(`${gateway.url}/health`);
    const bodiless = recorder.events.at(-1) as APIGatewayProxyEventV2;
    expect(bodiless.body).toBeUndefined();
    expect(bodiless.rawQueryString).toBe('');
    expect(bodiless.queryStringParameters).toBeUndefined();
  });

  it('writes statusCode, headers, cookies and a base64 body back', async () => {
    recorder.answer(() => ({
      statusCode: 201,
      headers: { 'content-type': 'image/png', 'x-request': 'r1' },
      cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
      body: Buffer.from([137, 80, 78, 71]).toString('base64'),
      isBase64Encoded: true,
    }));
    const response = await fetch(`${gateway.url}/image`);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-request')).toBe('r1');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));
  });

  it('answers like API Gateway when the handler returns a bare value or throws', async () => {
    recorder.answer(() => ({ hello: 'world' }));
    const bare = await fetch(`${gateway.url}/bare`);
    expect(bare.status).toBe(200);
    expect(bare.headers.get('content-type')).toBe('application/json');
    expect(await bare.json()).toEqual({ hello: 'world' });

    recorder.answer(() => {
      throw new Error('boom');
    });
    const failed = await fetch(`${gateway.url}/boom`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: 'Internal Server Error' });
    expect(gateway.stats.handlerErrors).toBe(1);
  });
  it('answers CORS preflights itself and exposes Retry-After to pages of other origins, as corsPreflight does', async () => {
    const before = recorder.events.length;
    const preflight = await fetch(`${gateway.url}/auctions/a-1/bids`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://127.0.0.1:3002',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'authorization,content-type,idempotency-key',
    );
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
    expect(recorder.events.length).toBe(before);

    recorder.answer(() => ({ statusCode: 429, headers: { 'retry-after': '1' }, body: '{}' }));
    const limited = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { Origin: 'http://127.0.0.1:3002' },
      body: '{}',
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    expect(limited.headers.get('access-control-expose-headers')).toBe('retry-after');
    const sameOrigin = await fetch(`${gateway.url}/orders`);
    expect(sameOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });
});
