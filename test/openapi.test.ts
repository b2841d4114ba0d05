import { Validator } from '@seriousme/openapi-schema-validator';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type * as api from '../functions/api/schemas.js';
import type { AuctionView, BidView } from '../functions/domain/auction.js';
import type { OrderView, ProductView } from '../functions/domain/product.js';
import { createHttpApp } from '../functions/http/app.js';
import { DOCS_ASSETS } from '../functions/http/routes/docs.js';
import type { MyBidView, MyOrderView } from '../functions/use-cases/shared/browse.js';
import { quietLogger } from './support/http-fixture.js';
import { schemaChecker } from './support/openapi.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

// The response schemas describe exactly what the domain renders (checked by tsc, both ways).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTypes: [
  Same<AuctionView, api.Auction>,
  Same<BidView, api.Bid>,
  Same<ProductView, api.Product>,
  Same<OrderView, api.Order>,
  Same<MyOrderView, api.MyOrder>,
  Same<MyBidView, api.MyBid>,
] = [true, true, true, true, true, true];
void sameTypes;

/** The app with inert dependencies: these tests read its route table and its documents only. */
const app = createHttpApp({
  auctions: {} as never,
  flashSales: {} as never,
  webhookSecret: 'unused',
  jwtSecret: 'unused',
  health: async () => [],
  logger: quietLogger,
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Files of the reference page itself (not API operations). */
const NOT_OPERATIONS = new Set(['GET /docs/assets/{name}']);

const served = async (): Promise<Json> => {
  const response = await app.request('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return response.json();
};

describe('the OpenAPI document', () => {
  it('documents exactly the routes the app serves', async () => {
    const inApp = new Set(
      app.routes
        .filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
        .filter((route) => !NOT_OPERATIONS.has(route)),
    );
    const document = await served();
    const inDocument = new Set(
      Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((method) => METHODS.includes(method))
          .map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect(
      [...inApp].filter((route) => !inDocument.has(route)),
      'served but not documented',
    ).toEqual([]);
    expect(
      [...inDocument].filter((route) => !inApp.has(route)),
      'documented but not served',
    ).toEqual([]);
    expect(inApp.size).toBeGreaterThanOrEqual(18);
  });

  it('names every route of API.md v1.1, with its security scheme', async () => {
    const document = await served();
    const routes: [string, string, 'public' | 'bearer' | 'webhook'][] = [
      ['get', '/health', 'public'],
      ['get', '/realtime', 'public'],
      ['post', '/auctions', 'bearer'],
      ['get', '/auctions', 'public'],
      ['get', '/auctions/{id}', 'public'],
      ['post', '/auctions/{id}/bids', 'bearer'],
      ['get', '/auctions/{id}/bids', 'public'],
      ['get', '/auctions/{id}/events', 'public'],
      ['post', '/products', 'bearer'],
      ['get', '/products', 'public'],
      ['get', '/products/{id}', 'public'],
      ['post', '/orders', 'bearer'],
      ['get', '/orders/{id}', 'bearer'],
      ['post', '/orders/{id}/cancel', 'bearer'],
      ['post', '/payments/webhook', 'webhook'],
      ['get', '/me/orders', 'bearer'],
      ['get', '/me/bids', 'bearer'],
      ['get', '/me/notifications', 'bearer'],
      ['get', '/openapi.json', 'public'],
      ['get', '/docs', 'public'],
    ];
    for (const [method, path, security] of routes) {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      const expected = {
        public: undefined,
        bearer: [{ bearerAuth: [] }],
        webhook: [{ webhookSignature: [] }],
      }[security];
      expect(operation.security, `${method} ${path}`).toEqual(expected);
      if (path.includes('{id}')) {
        expect(operation.parameters.some((p: Json) => p.in === 'path' && p.name === 'id' && p.required)).toBe(
          true,
        );
      }
    }
    expect(document.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      webhookSignature: { type: 'apiKey', in: 'header', name: 'X-Webhook-Signature' },
    });
    // Query parameters and request bodies come from the route schemas.
    const query = (path: string) =>
      document.paths[path].get.parameters.filter((p: Json) => p.in === 'query').map((p: Json) => p.name);
    expect(query('/auctions')).toEqual(['status', 'limit', 'cursor']);
    expect(query('/products')).toEqual(['active', 'limit', 'cursor']);
    expect(query('/me/bids')).toEqual(['limit', 'cursor']);
    expect(query('/me/notifications')).toEqual(['since', 'limit']);
    expect(query('/auctions/{id}/events')).toEqual(['since']);
    expect(document.paths['/auctions/{id}/bids'].post.parameters.map((p: Json) => p.name)).toContain(
      'idempotency-key',
    );
    for (const [path, id] of [
      ['/auctions', 'CreateAuction'],
      ['/products', 'CreateProduct'],
      ['/orders', 'ReserveOrder'],
      ['/payments/webhook', 'PaymentEvent'],
    ] as const) {
      expect(document.paths[path].post.requestBody.content['application/json'].schema.$ref).toBe(
        `#/components/schemas/${id}`,
      );
    }
    // Every error code of API.md, on the routes that can answer it.
    const codes = (method: string, path: string, status: number) =>
      document.paths[path][method].responses[status].content['application/json'].schema.properties.error
        .properties.code.enum;
    expect(codes('post', '/auctions/{id}/bids', 409)).toEqual([
      'auction_not_open',
      'auction_closed',
      'bid_too_low',
      'already_leading',
    ]);
    expect(codes('post', '/auctions/{id}/bids', 403)).toEqual(['seller_cannot_bid']);
    expect(codes('post', '/orders', 409)).toEqual(['sale_not_active', 'sold_out', 'limit_exceeded']);
    expect(codes('post', '/payments/webhook', 401)).toEqual(['invalid_signature']);
    expect(codes('post', '/auctions', 409)).toEqual(['auction_exists']);
    expect(codes('post', '/products', 409)).toEqual(['product_exists']);
    expect(codes('post', '/orders/{id}/cancel', 409)).toEqual(['order_not_cancellable']);
    expect(codes('post', '/orders', 422)).toEqual(['idempotency_key_reused']);
    expect(codes('post', '/orders', 429)).toEqual(['rate_limited']);
    for (const path of ['/auctions', '/products', '/me/orders', '/me/bids']) {
      expect(codes('get', path, 400)).toEqual(['invalid_request']);
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(await served());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has examples, and every example matches its schema', async () => {
    const document = await served();
    const check = schemaChecker(document);
    let checked = 0;
    const failures: string[] = [];
    const verify = (where: string, schema: Json, value: unknown) => {
      checked += 1;
      for (const error of check(schema, value)) failures.push(`${where}: ${error}`);
    };
    /** Schema-level `examples` (JSON Schema), anywhere inside a schema. */
    const walkSchema = (where: string, schema: Json) => {
      if (schema === null || typeof schema !== 'object') return;
      if (Array.isArray(schema.examples)) {
        for (const value of schema.examples) verify(where, schema, value);
      }
      for (const [key, child] of Object.entries(schema)) {
        if (key === 'examples') continue;
        if (Array.isArray(child)) {
          for (const [i, item] of child.entries()) walkSchema(`${where}.${key}[${i}]`, item);
        } else walkSchema(`${where}.${key}`, child);
      }
    };
    const walkContent = (where: string, content: Json) => {
      for (const [type, media] of Object.entries(content ?? {}) as [string, Json][]) {
        walkSchema(`${where} ${type}`, media.schema);
        for (const [name, example] of Object.entries(media.examples ?? {}) as [string, Json][]) {
          verify(`${where} ${type} example ${name}`, media.schema, example.value);
        }
      }
    };
    for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
      for (const [method, operation] of Object.entries(item) as [string, Json][]) {
        const at = `${method.toUpperCase()} ${path}`;
        for (const parameter of operation.parameters ?? [])
          walkSchema(`${at} ${parameter.name}`, parameter.schema);
        walkContent(`${at} request`, operation.requestBody?.content);
        const responses = Object.entries(operation.responses) as [string, Json][];
        for (const [status, response] of responses) walkContent(`${at} ${status}`, response.content);
        // Every operation with a JSON body shows an example of its request and of its success.
        if (operation.requestBody?.content?.['application/json']) {
          expect(
            Object.keys(operation.requestBody.content['application/json'].examples ?? {}),
            at,
          ).not.toEqual([]);
        }
        const success = responses.find(([status]) => status.startsWith('2'))?.[1];
        if (success?.content?.['application/json']?.examples === undefined && path !== '/openapi.json') {
          expect(success?.content?.['text/html'], `${at} has no success example`).toBeDefined();
        }
      }
    }
    for (const [name, schema] of Object.entries(document.components.schemas as Record<string, Json>)) {
      walkSchema(`#/components/schemas/${name}`, schema);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(60);
    // The checker is not vacuous: a wrong value fails against the same schemas.
    const page = document.paths['/auctions'].get.responses[200].content['application/json'];
    const wrong = structuredClone(page.examples.page.value);
    wrong.auctions[0].status = 'live';
    expect(check(page.schema, wrong)).not.toEqual([]);
  });
});

describe('GET /docs', () => {
  it('is a page whose every asset the app serves itself: no network needed', async () => {
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    const urls = [...references, ...[...html.matchAll(/url: '([^']+)'/g)].map((match) => match[1] as string)];
    expect(urls.sort()).toEqual([
      'docs/assets/swagger-ui-bundle.js',
      'docs/assets/swagger-ui.css',
      'openapi.json',
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('validatorUrl: null');
    for (const url of urls) {
      const asset = await app.request(`/${url}`);
      expect(asset.status, url).toBe(200);
      expect((await asset.text()).length, url).toBeGreaterThan(1_000);
    }
    const css = await app.request('/docs/assets/swagger-ui.css');
    expect(css.headers.get('content-type')).toBe(DOCS_ASSETS['swagger-ui.css']);
    // The stylesheet loads nothing from elsewhere either (fonts and images are inline).
    const external = [...(await css.text()).matchAll(/url\(\s*["']?([^"')]*)/g)]
      .map((match) => match[1] as string)
      .filter((url) => !url.startsWith('data:'));
    expect(external).toEqual([]);
    const unknown = await app.request('/docs/assets/..%2Fpackage.json');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json).error.code).toBe('route_not_found');
  });
});

describe('the API module', () => {
  it('bundles for the browser: no Node-only import in the schemas or the document', async () => {
    const result = await build({
      stdin: {
        contents:
          "export * from './functions/api/schemas.ts'; export { createOpenApiDocument } from './functions/api/openapi.ts';",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      minify: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]?.text).not.toMatch(/from\s*["']node:/);
  });
});
