import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { build } from 'esbuild';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleOptions } from '../scripts/build-functions.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

function httpEvent(method: string, path: string, body?: unknown, token?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'api.example.com',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: ulid(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  };
}

/**
 * The HTTP function as it ships: bundled by esbuild with the CDK options (Lua scripts inlined as
 * text), imported as a module, invoked with API Gateway HTTP API payload v2 events.
 */
describe('the bundled HTTP Lambda', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'http-bundle-'));
  const outfile = join(outdir, 'index.mjs');
  let handler: Handler;
  const context = {} as Context;

  beforeAll(async () => {
    await build(bundleOptions('http', outfile));
    const sqsEndpoint = inject('sqsEndpoint');
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: sqsEndpoint,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const suffix = ulid().toLowerCase();
    const [persist, fanout] = await Promise.all(
      ['persist', 'fanout'].map((name) =>
        sqs.send(new CreateQueueCommand({ QueueName: `bundle-${name}-${suffix}` })),
      ),
    );
    sqs.destroy();
    Object.assign(process.env, {
      REDIS_URL: inject('redisUrl'),
      PERSIST_QUEUE_URL: persist?.QueueUrl,
      FANOUT_QUEUE_URL: fanout?.QueueUrl,
      SQS_ENDPOINT: sqsEndpoint,
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: 'bundle-test-webhook-secret-0123',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    handler = ((await import(pathToFileURL(outfile).href)) as { handler: Handler }).handler;
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('inlines every Lua script', () => {
    const bundle = readFileSync(outfile, 'utf8');
    expect(bundle).toContain('place-bid.lua: decide one bid atomically');
    expect(bundle).not.toMatch(/from\s+["'][^"']+\.lua["']/);
  });

  it('serves health, creates an auction and takes a bid', async () => {
    const health = await handler(httpEvent('GET', '/health'), context);
    expect(health.statusCode).toBe(200);
    const admin = await tokenFor('bundle-admin', { admin: true });
    const created = await handler(
      httpEvent(
        'POST',
        '/auctions',
        {
          title: 'Bundled',
          startingPrice: 500,
          minIncrement: 50,
          endsAt: new Date(Date.now() + 60_000).toISOString(),
        },
        admin,
      ),
      context,
    );
    expect(created.statusCode).toBe(201);
    const { auction } = JSON.parse(created.body ?? '{}') as { auction: { id: string } };
    const bid = await handler(
      httpEvent('POST', `/auctions/${auction.id}/bids`, { amount: 500 }, await tokenFor('bundle-bidder')),
      context,
    );
    expect(bid.statusCode).toBe(201);
    expect(JSON.parse(bid.body ?? '{}')).toMatchObject({
      bid: { amount: 500, seq: 2 },
      auction: { leaderId: 'bundle-bidder' },
    });
    const bad = await handler(
      httpEvent('POST', `/auctions/${auction.id}/bids`, { amount: 'lots' }, await tokenFor('bundle-bidder')),
      context,
    );
    expect(bad.statusCode).toBe(400);
  });

  it('serves the OpenAPI document and the reference page with its assets', async () => {
    const document = await handler(httpEvent('GET', '/openapi.json'), context);
    expect(document.statusCode).toBe(200);
    expect(JSON.parse(document.body ?? '{}')).toMatchObject({ openapi: '3.1.0' });
    const page = await handler(httpEvent('GET', '/docs'), context);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('docs/assets/swagger-ui-bundle.js');
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
      const served = await handler(httpEvent('GET', `/docs/assets/${asset}`), context);
      expect(served.statusCode, asset).toBe(200);
      expect(served.body?.length, asset).toBeGreaterThan(100_000);
    }
  });
});
