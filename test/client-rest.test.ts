/**
 * The typed client (client/) against the real HTTP app served over real HTTP, on real Redis, the
 * real SQS protocol and real PostgreSQL; a TCP proxy in front of it loses answers the way networks do.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { build } from 'esbuild';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  API_ERROR_CODES,
  ApiError,
  type Client,
  type ClientOptions,
  createClient,
  isApiError,
  NetworkError,
} from '../client/src/index.js';
import { createOpenApiDocument } from '../functions/api/openapi.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { tokenFor } from './support/tokens.js';
import { signedWebhookHeaders } from './support/webhooks.js';

let http: HttpFixture;
let server: ReturnType<typeof serve>;
let proxy: TcpProxy;
let directUrl: string;
let proxiedUrl: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  http = await createHttpFixture({
    redisUrl: inject('redisUrl'),
    sqsEndpoint: inject('sqsEndpoint'),
    databaseUrl: inject('databaseUrl'),
  });
  server = serve({ fetch: http.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  directUrl = `http://127.0.0.1:${port}`;
  proxy = await startTcpProxy({ host: '127.0.0.1', port });
  proxiedUrl = `http://127.0.0.1:${proxy.port}`;
  tokens.admin = http.adminToken;
  for (const user of ['alice', 'bob', 'carol']) tokens[user] = await tokenFor(user);
});
afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => server?.close(resolve));
  await http?.close();
});

const clientAs = (user: string | undefined, options: Partial<ClientOptions> = {}): Client =>
  createClient({ baseUrl: directUrl, token: user ? tokens[user] : undefined, ...options });

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function newAuction(admin: Client) {
  return admin.createAuction({
    id: `client-${ulid()}`,
    title: 'Client lot',
    startingPrice: 1_000,
    minIncrement: 100,
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
}

const bidKeys = (requests: string[], auctionId: string) =>
  requests
    .filter((request) => request.startsWith(`POST /auctions/${auctionId}/bids `))
    .map((request) => /\r\nidempotency-key: ([^\r]+)/i.exec(request)?.[1]);

describe('the browser bundle', () => {
  it('has no node: imports and no server code: only client/src goes in', async () => {
    const result = await build({
      entryPoints: ['client/src/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(3);
    expect(inputs.filter((input) => !input.startsWith('client/src/'))).toEqual([]);
    const text = result.outputFiles[0]?.text ?? '';
    expect(text).not.toMatch(/from ["']node:|require\(["']node:|["'](ioredis|zod|postgres|hono)["']/);
  });
});

describe('REST', () => {
  it('knows every error code of the OpenAPI document', () => {
    const codes = new Set<string>();
    const walk = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      const code = (node as { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } })
        .properties?.error?.properties?.code?.enum;
      for (const value of code ?? []) codes.add(value);
      for (const child of Object.values(node)) walk(child);
    };
    walk(createOpenApiDocument());
    expect(codes.size).toBeGreaterThan(15);
    expect([...codes].filter((code) => !(API_ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
  });

  it('auctions: typed answers, and typed errors with their code and details', async () => {
    const admin = clientAs('admin');
    const alice = clientAs('alice');
    const bob = clientAs('bob');
    expect(await clientAs(undefined).health()).toEqual({ status: 'ok' });

    const auction = await newAuction(admin);
    expect(auction).toMatchObject({ status: 'open', seq: 1, currentPrice: null, minimumNextBid: 1_000 });
    expect(await alice.getAuction(auction.id)).toEqual(auction);

    const first = await alice.placeBid(auction.id, { amount: 1_000 });
    expect(first.bid).toMatchObject({ auctionId: auction.id, bidderId: 'alice', amount: 1_000, seq: 2 });
    expect(first.auction).toMatchObject({ leaderId: 'alice', currentPrice: 1_000, minimumNextBid: 1_100 });

    const tooLow = await caught(bob.placeBid(auction.id, { amount: 1_000 }));
    expect(tooLow).toBeInstanceOf(ApiError);
    if (!isApiError(tooLow, 'bid_too_low')) throw tooLow;
    expect([tooLow.status, tooLow.code, tooLow.details.minimumBid]).toEqual([409, 'bid_too_low', 1_100]);
    expect(tooLow.message).toMatch(/./);

    expect(await caught(alice.placeBid(auction.id, { amount: 1_200 }))).toMatchObject({
      status: 409,
      code: 'already_leading',
    });
    const proxied = await bob.placeBid(auction.id, { amount: 1_100, maxAmount: 2_000 });
    expect(proxied.bid.maxAmount).toBe(2_000);
    expect(proxied.auction.leaderId).toBe('bob');

    const bids = await clientAs(undefined).listBids(auction.id, { limit: 10 });
    expect(bids.map((bid) => [bid.bidderId, bid.amount])).toEqual([
      ['bob', 1_100],
      ['alice', 1_000],
    ]);
    const page = await clientAs(undefined).auctionEvents(auction.id, 1);
    expect(page.events.map((event) => event.seq)).toEqual([2, 3]);
    expect(page.events[1]?.auction.leaderId).toBe('bob');
    expect(page.next).toBeNull();

    expect(await caught(alice.getAuction('no-such-auction'))).toMatchObject({
      status: 404,
      code: 'auction_not_found',
    });
    expect(await caught(clientAs(undefined).placeBid(auction.id, { amount: 5_000 }))).toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    expect(await caught(newAuction(alice))).toMatchObject({ status: 403, code: 'forbidden' });
    const invalid = await caught(alice.placeBid(auction.id, { amount: -1 }));
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('flash sales, the webhook and the listings', async () => {
    const admin = clientAs('admin');
    const carol = clientAs('carol');
    const product = await admin.createProduct({
      id: `client-${ulid()}`,
      name: 'Client item',
      price: 500,
      stock: 2,
    });
    expect(product).toMatchObject({ available: 2, perUserLimit: 1, seq: 1 });
    expect(await carol.getProduct(product.id)).toEqual(product);

    const order = await carol.reserveOrder({ productId: product.id, qty: 1 });
    expect(order).toMatchObject({
      productId: product.id,
      userId: 'carol',
      qty: 1,
      amount: 500,
      status: 'reserved',
    });
    expect(await carol.getOrder(order.id)).toEqual(order);
    const limit = await caught(carol.reserveOrder({ productId: product.id, qty: 1 }));
    if (!isApiError(limit, 'limit_exceeded')) throw limit;
    expect([limit.details.limit, limit.details.purchased]).toEqual([1, 1]);
    expect((await carol.cancelOrder(order.id)).status).toBe('cancelled');
    expect(await caught(carol.cancelOrder(order.id))).toMatchObject({
      status: 409,
      code: 'order_not_cancellable',
    });
    expect(await caught(clientAs('bob').getOrder(order.id))).toMatchObject({
      status: 404,
      code: 'order_not_found',
    });

    const paid = await carol.reserveOrder({ productId: product.id, qty: 1 });
    const rawBody = JSON.stringify({
      id: `evt-${ulid()}`,
      type: 'payment.succeeded',
      orderId: paid.id,
      amount: 500,
    });
    const signature = signedWebhookHeaders(rawBody)['x-webhook-signature'] as string;
    expect(await clientAs(undefined).sendPaymentWebhook(rawBody, signature)).toEqual({
      received: true,
      status: 'applied',
    });
    expect((await carol.getOrder(paid.id)).status).toBe('paid');
    expect(await caught(clientAs(undefined).sendPaymentWebhook(rawBody, 't=1,v1=00'))).toMatchObject({
      status: 401,
      code: 'invalid_signature',
    });
    await clientAs('bob').reserveOrder({ productId: product.id, qty: 1 });
    const soldOut = await caught(clientAs('alice').reserveOrder({ productId: product.id, qty: 1 }));
    if (!isApiError(soldOut, 'sold_out')) throw soldOut;
    expect(soldOut.details.available).toBe(0);

    // The listings answer from PostgreSQL (filled by the writer, not running here): their shape,
    // and that the query parameters reach the server (a bad cursor is refused by it).
    const auctions = await carol.listAuctions({ status: 'closed', limit: 5 });
    expect(Array.isArray(auctions.auctions) && 'next' in auctions).toBe(true);
    expect(await caught(carol.listAuctions({ cursor: 'not-a-cursor!' }))).toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    expect(await caught(carol.listProducts({ active: false, limit: 101 }))).toMatchObject({
      code: 'invalid_request',
    });
    expect(Array.isArray((await carol.listProducts({ active: true })).products)).toBe(true);
    expect(Array.isArray((await carol.myOrders({ limit: 3 })).orders)).toBe(true);
    expect(Array.isArray((await carol.myBids()).bids)).toBe(true);
    expect(await caught(clientAs(undefined).myBids())).toMatchObject({ status: 401 });
    expect((await carol.openapi()).openapi).toMatch(/^3\.1/);
  });
});

describe('REST: the auction house (API.md v1.2)', () => {
  it('buyNow, endAuction and cancelAuction answer the Auction; their refusals are typed', async () => {
    const admin = clientAs('admin');
    const alice = clientAs('alice');
    const bob = clientAs('bob');
    // Server-made ids: a given id is first looked up in PostgreSQL (and answered 503 while the
    // persist queue, which nothing drains here, may hold its events).
    const lot = () =>
      admin.createAuction({
        title: 'Client lot',
        startingPrice: 1_000,
        minIncrement: 100,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
    const forSale = await admin.createAuction({
      title: 'Client lot with Buy It Now',
      startingPrice: 1_000,
      incrementTable: [
        { from: 0, increment: 10 },
        { from: 2_000, increment: 100 },
      ],
      reservePrice: 3_000,
      buyNowPrice: 5_000,
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(forSale).toMatchObject({
      minIncrement: 10,
      buyNowAvailable: true,
      closedBy: null,
      cancelled: false,
    });
    const sellerBuys = await caught(admin.buyNow(forSale.id));
    if (!isApiError(sellerBuys, 'seller_cannot_bid')) throw sellerBuys;
    expect(sellerBuys.status).toBe(403);
    const bought = await alice.buyNow(forSale.id, { idempotencyKey: `buy-${forSale.id}` });
    expect(bought).toMatchObject({
      status: 'closed',
      closedBy: 'buy_now',
      winnerId: 'alice',
      finalPrice: 5_000,
    });
    // The same key answers the same purchase again; another buyer is refused as closed.
    expect(await alice.buyNow(forSale.id, { idempotencyKey: `buy-${forSale.id}` })).toEqual(bought);
    const late = await caught(bob.buyNow(forSale.id));
    if (!isApiError(late, 'auction_closed')) throw late;
    expect(late.status).toBe(409);

    const plain = await lot();
    const unavailable = await caught(bob.buyNow(plain.id));
    if (!isApiError(unavailable, 'buy_now_unavailable')) throw unavailable;
    const notTheSeller = await caught(clientAs('alice').endAuction(plain.id));
    if (!isApiError(notTheSeller, 'forbidden')) throw notTheSeller;
    expect(await admin.endAuction(plain.id)).toMatchObject({ status: 'closed', closedBy: 'seller' });

    const toCancel = await lot();
    const badReason = await caught(admin.cancelAuction(toCancel.id, { reason: '' }));
    if (!isApiError(badReason, 'invalid_request')) throw badReason;
    expect(await admin.cancelAuction(toCancel.id, { reason: 'Listed twice' })).toMatchObject({
      status: 'closed',
      cancelled: true,
      winnerId: null,
    });
    const again = await caught(admin.endAuction(toCancel.id));
    if (!isApiError(again, 'auction_closed')) throw again;
  });
});

describe('retries cannot place a second bid', () => {
  it('a bid whose answer is lost after the server decided is retried with its key: exactly one bid', async () => {
    const auction = await newAuction(clientAs('admin'));
    const alice = createClient({ baseUrl: proxiedUrl, token: tokens.alice, retry: { baseDelayMs: 50 } });
    proxy.cutNextAnswers(1);
    const result = await alice.placeBid(auction.id, { amount: 1_000 });
    expect(result.bid).toMatchObject({ bidderId: 'alice', amount: 1_000, seq: 2 });

    const keys = bidKeys(proxy.requests, auction.id);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^c-[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    const after = await clientAs(undefined).getAuction(auction.id);
    expect([after.bidCount, after.seq, after.currentPrice]).toEqual([1, 2, 1_000]);
    expect(await clientAs(undefined).listBids(auction.id)).toHaveLength(1);
  });

  it('the same cut without retries: the bid was placed and the call fails as a network error', async () => {
    const auction = await newAuction(clientAs('admin'));
    const alice = createClient({ baseUrl: proxiedUrl, token: tokens.alice, retry: { attempts: 1 } });
    proxy.cutNextAnswers(1);
    const error = await caught(alice.placeBid(auction.id, { amount: 1_000 }));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).attempts).toBe(1);
    expect((await clientAs(undefined).getAuction(auction.id)).bidCount).toBe(1);
    // The app learns the outcome by calling again with the key the error carries: the first decision.
    const key = (error as NetworkError).idempotencyKey;
    expect(key).toMatch(/^c-/);
    const replay = await alice.placeBid(auction.id, { amount: 1_000 }, { idempotencyKey: key as string });
    expect(replay.bid).toMatchObject({ bidderId: 'alice', amount: 1_000, seq: 2 });
    expect((await clientAs(undefined).getAuction(auction.id)).bidCount).toBe(1);
  });

  // API Gateway answers 500 when the function crashed or timed out, 502 / 504 for a bad or late
  // integration: each may come after the script decided, so a keyed call must not end there.
  const gatewayAnswer = (status: 500 | 502 | 504) => {
    const body = JSON.stringify({ message: 'Internal Server Error' });
    const reason = { 500: 'Internal Server Error', 502: 'Bad Gateway', 504: 'Gateway Timeout' }[status];
    return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
  };

  it('a bid or an order answered 500, 502 or 504 after the server decided is retried with its key: one each', async () => {
    const admin = clientAs('admin');
    for (const status of [500, 502, 504] as const) {
      const auction = await newAuction(admin);
      const alice = createClient({ baseUrl: proxiedUrl, token: tokens.alice, retry: { baseDelayMs: 20 } });
      const before = proxy.requests.length;
      proxy.replaceNextAnswers(1, gatewayAnswer(status));
      const result = await alice.placeBid(auction.id, { amount: 1_000 });
      expect(result.bid).toMatchObject({ bidderId: 'alice', amount: 1_000, seq: 2 });
      const keys = bidKeys(proxy.requests.slice(before), auction.id);
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
      expect((await clientAs(undefined).getAuction(auction.id)).bidCount).toBe(1);
    }
    const product = await admin.createProduct({
      id: `client-${ulid()}`,
      name: 'Gateway item',
      price: 300,
      stock: 5,
    });
    const carol = createClient({ baseUrl: proxiedUrl, token: tokens.carol, retry: { baseDelayMs: 20 } });
    proxy.replaceNextAnswers(1, gatewayAnswer(500));
    const order = await carol.reserveOrder({ productId: product.id, qty: 1 });
    expect(order).toMatchObject({ status: 'reserved', qty: 1 });
    expect((await admin.getProduct(product.id)).available).toBe(4);
    const orderKeys = proxy.requests
      .filter((request) => request.startsWith('POST /orders '))
      .map((request) => /\r\nidempotency-key: ([^\r]+)/i.exec(request)?.[1])
      .slice(-2);
    expect(orderKeys[1]).toBe(orderKeys[0]);
  });

  it('a 500 after the decision with no retry left ends as a NetworkError carrying the key', async () => {
    const auction = await newAuction(clientAs('admin'));
    const alice = createClient({ baseUrl: proxiedUrl, token: tokens.alice, retry: { attempts: 1 } });
    proxy.replaceNextAnswers(1, gatewayAnswer(500));
    const error = await caught(alice.placeBid(auction.id, { amount: 1_000 }));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).cause).toMatchObject({ status: 500 });
    const key = (error as NetworkError).idempotencyKey;
    expect(key).toMatch(/^c-/);
    expect((await clientAs(undefined).getAuction(auction.id)).bidCount).toBe(1);
    const replay = await alice.placeBid(auction.id, { amount: 1_000 }, { idempotencyKey: key as string });
    expect(replay.bid).toMatchObject({ bidderId: 'alice', amount: 1_000, seq: 2 });
    expect((await clientAs(undefined).getAuction(auction.id)).bidCount).toBe(1);

    // A call that is never retried (a create) keeps the 500 as the app's to see.
    proxy.answerNext(1, gatewayAnswer(500));
    expect(
      await caught(
        clientAs('admin', { baseUrl: proxiedUrl }).createAuction({
          id: `client-${ulid()}`,
          title: 'x',
          startingPrice: 1,
          minIncrement: 1,
          endsAt: new Date(Date.now() + 60_000).toISOString(),
        }),
      ),
    ).toMatchObject({ status: 500 });
  });

  it('a 503 is retried after its Retry-After with the same key; each call has its own key', async () => {
    const admin = clientAs('admin');
    const product = await admin.createProduct({
      id: `client-${ulid()}`,
      name: 'Retry item',
      price: 700,
      stock: 5,
    });
    const bob = createClient({ baseUrl: proxiedUrl, token: tokens.bob });
    const body = JSON.stringify({
      error: { code: 'service_unavailable', message: 'try again', retryAfterSeconds: 1 },
    });
    proxy.answerNext(
      1,
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
    const before = proxy.requests.length;
    const started = Date.now();
    const order = await bob.reserveOrder({ productId: product.id, qty: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(order.status).toBe('reserved');
    const keysOf = (requests: string[]) =>
      requests
        .filter((request) => request.startsWith('POST /orders '))
        .map((request) => /\r\nidempotency-key: ([^\r]+)/i.exec(request)?.[1]);
    const seen = keysOf(proxy.requests.slice(before));
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);
    expect((await admin.getProduct(product.id)).available).toBe(4);

    // A second call is a second order attempt: a new key (here refused by the per-user limit).
    const again = await caught(bob.reserveOrder({ productId: product.id, qty: 1 }));
    expect(again).toMatchObject({ code: 'limit_exceeded' });
    const all = keysOf(proxy.requests.slice(before));
    expect(all).toHaveLength(3);
    expect(all[2]).not.toBe(all[0]);
  });

  it('a 503 whose Retry-After is longer than maxDelayMs is handed to the app at once', async () => {
    const bob = createClient({ baseUrl: proxiedUrl, token: tokens.bob, retry: { maxDelayMs: 500 } });
    const body = JSON.stringify({
      error: { code: 'service_unavailable', message: 'later', retryAfterSeconds: 30 },
    });
    proxy.answerNext(
      1,
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 30\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
    const error = await caught(bob.getAuction('whatever'));
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable', retryAfterSeconds: 30 });
  });
});

describe('retries under the user-wide rate limit (1 request per second)', () => {
  let limited: HttpFixture;
  let limitedServer: ReturnType<typeof serve>;
  let limitedProxy: TcpProxy;
  beforeAll(async () => {
    limited = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      userRateLimit: 1,
    });
    limitedServer = serve({ fetch: limited.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => limitedServer.once('listening', resolve));
    limitedProxy = await startTcpProxy({
      host: '127.0.0.1',
      port: (limitedServer.address() as AddressInfo).port,
    });
  });
  afterAll(async () => {
    await limitedProxy?.close();
    await new Promise((resolve) => limitedServer?.close(resolve));
    await limited?.close();
  });

  it('a retry refused 429 after a lost answer waits and asks again: the first decision, one bid', async () => {
    // The server answers a replayed key before its user-wide limit counts (claim-idempotency-key.lua,
    // test/idempotency-replay-limit.test.ts), so the retry gets the decision at once; the client
    // still treats a 429 after an unanswered attempt as "ask again", as an earlier server counted
    // replays and a 429 there would read as "not placed".
    const auction = await limited.createAuction({ id: `client-${ulid()}` });
    const url = `http://127.0.0.1:${limitedProxy.port}`;
    const alice = createClient({ baseUrl: url, token: tokens.alice, retry: { baseDelayMs: 20 } });
    limitedProxy.cutNextAnswers(1);
    const result = await alice.placeBid(auction.id, { amount: 1_000 });
    expect(result.bid).toMatchObject({ bidderId: 'alice', amount: 1_000, seq: 2 });
    const keys = bidKeys(limitedProxy.requests, auction.id);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(1);
    const state = await createClient({ baseUrl: url }).getAuction(auction.id);
    expect([state.bidCount, state.seq]).toEqual([1, 2]);

    // A first attempt refused 429 was decided by nobody: that refusal is the app's to see.
    await sleep(1_100);
    const bob = createClient({ baseUrl: url, token: tokens.bob });
    await bob.placeBid(auction.id, { amount: 1_100 });
    expect(await caught(bob.placeBid(auction.id, { amount: 1_300 }))).toMatchObject({
      status: 429,
      code: 'rate_limited',
    });
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
