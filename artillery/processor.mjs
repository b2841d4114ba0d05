/**
 * Artillery processor shared by every scenario in artillery/scenarios/.
 *
 * Environment (the same files run against `npm run local` or a deployed stage):
 *   TARGET_URL       HTTP API base URL (also `config.target`)
 *   WS_URL           WebSocket API URL (watchers)
 *   JWT_SECRET       HS256 secret: tokens for users (claim `sub`) and the admin (`role: "admin"`)
 *   WEBHOOK_SECRET   payment webhook HMAC secret (flash-sale payments)
 *   LOAD_RUN_ID      prefix of the ids this run creates (default: a timestamp)
 *   LOAD_SAMPLES_DIR optional: every thread appends one line per response, per accepted write and per
 *                    WebSocket update received to `<dir>/samples-<pid>-<thread>.tsv`; scripts/load.ts reads
 *                    them for the per-second charts and for the audit ("every 2xx write is in PostgreSQL").
 *
 * Metrics emitted for `config.plugins.ensure`: histograms `latency.<request name>` (time to first byte,
 * as Artillery's own `http.response_time`) and `fanout.latency` (receipt of an `auction.updated` minus
 * the bid's `placedAt`); counters `load.requests`, `load.unexpected` (5xx and any status a request does
 * not expect), `fanout.messages`, `fanout.seq_violations` (a topic's seq not strictly increasing).
 * Expected refusals (409 bid_too_low, 409 sold_out, 429 rate_limited...) are outcomes, not errors.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import WebSocket from 'ws';

const env = process.env;
const RUN_ID = env.LOAD_RUN_ID || `load-${Date.now().toString(36)}`;
const TOKEN_TTL_SECONDS = 6 * 3600;

// ---------------------------------------------------------------------------------------------
// Samples file: synchronous writes to an open descriptor reach the kernel at once, so nothing is
// lost when Artillery ends a worker thread.

let samplesFd;
function sample(line) {
  if (!env.LOAD_SAMPLES_DIR) return;
  if (samplesFd === undefined) {
    mkdirSync(env.LOAD_SAMPLES_DIR, { recursive: true });
    samplesFd = openSync(join(env.LOAD_SAMPLES_DIR, `samples-${process.pid}-${threadId}.tsv`), 'a');
    process.once('exit', () => closeSync(samplesFd));
  }
  writeSync(samplesFd, `${line}\n`);
}

function recordWrite(kind, record) {
  sample(`w\t${Date.now()}\t${kind}\t${JSON.stringify(record)}`);
}

// ---------------------------------------------------------------------------------------------
// Tokens and signatures

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function secret(name) {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: the load tests sign tokens and webhooks with it`);
  return value;
}

export function signToken(sub, admin = false) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url({ alg: 'HS256', typ: 'JWT' });
  const body = b64url({ sub, ...(admin ? { role: 'admin' } : {}), iat: now, exp: now + TOKEN_TTL_SECONDS });
  const signature = createHmac('sha256', secret('JWT_SECRET')).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

function webhookSignature(rawBody) {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret('WEBHOOK_SECRET')).update(`${t}.${rawBody}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

const userTokens = new Map();
function userToken(userId) {
  let token = userTokens.get(userId);
  if (!token) {
    token = signToken(userId);
    userTokens.set(userId, token);
  }
  return token;
}

// ---------------------------------------------------------------------------------------------
// Setup through the public API (the `before` section of each scenario)

function targetUrl() {
  return secret('TARGET_URL').replace(/\/$/, '');
}

async function api(method, path, body, token) {
  const started = performance.now();
  const response = await fetch(`${targetUrl()}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: response.status, json, ms };
}

const inSeconds = (seconds) => new Date(Date.now() + seconds * 1000).toISOString();
const num = (value, fallback) => (Number.isFinite(Number(value)) ? Number(value) : fallback);

async function createAuction(body) {
  const { status, json } = await api('POST', '/auctions', body, signToken('load-admin', true));
  if (status !== 201) throw new Error(`setup: POST /auctions answered ${status}: ${JSON.stringify(json)}`);
  recordWrite('auction', { id: json.auction.id, endsAt: json.auction.endsAt, seq: json.auction.seq });
  return json.auction;
}

async function createProduct(body) {
  const { status, json } = await api('POST', '/products', body, signToken('load-admin', true));
  if (status !== 201) throw new Error(`setup: POST /products answered ${status}: ${JSON.stringify(json)}`);
  recordWrite('product', { id: json.product.id, stock: json.product.stock, seq: json.product.seq });
  return json.product;
}

const suffix = () => randomBytes(3).toString('hex');

/** One auction that every bidder hits; it ends `auctionSeconds` after setup, so the audit sees it closed. */
export async function setupHotAuction(context) {
  const auction = await createAuction({
    id: `${RUN_ID}-hot-${suffix()}`,
    title: 'Load test: hot auction',
    startingPrice: 1_000,
    minIncrement: 10,
    endsAt: inSeconds(num(context.vars.auctionSeconds, 60)),
  });
  context.vars.auctionIds = [auction.id];
  context.vars.watchUntil = Date.now() + num(context.vars.watchSeconds, 60) * 1000;
}

/** One product with `stock` units; the phases send 20x as many buyers. */
export async function setupFlashSale(context) {
  const product = await createProduct({
    id: `${RUN_ID}-sale-${suffix()}`,
    name: 'Load test: flash sale',
    price: 4_999,
    stock: num(context.vars.stock, 100),
    perUserLimit: 1,
  });
  context.vars.productIds = [product.id];
}

/** `auctionCount` auctions open for the whole watch, watched by many connections. */
export async function setupWatchedAuctions(context) {
  const ids = [];
  for (let i = 0; i < num(context.vars.auctionCount, 3); i++) {
    const auction = await createAuction({
      id: `${RUN_ID}-watched-${i}-${suffix()}`,
      title: `Load test: watched auction ${i}`,
      startingPrice: 500,
      minIncrement: 5,
      endsAt: inSeconds(num(context.vars.auctionSeconds, 120)),
    });
    ids.push(auction.id);
  }
  context.vars.auctionIds = ids;
  context.vars.watchUntil = Date.now() + num(context.vars.watchSeconds, 60) * 1000;
}

/** A realistic day: auctions ending at staggered times (one with anti-snipe), a few products. */
export async function setupMixedDay(context) {
  const seconds = num(context.vars.daySeconds, 60);
  const auctionIds = [];
  const count = num(context.vars.auctionCount, 5);
  for (let i = 0; i < count; i++) {
    const auction = await createAuction({
      id: `${RUN_ID}-day-${i}-${suffix()}`,
      title: `Load test: auction ${i} of the day`,
      startingPrice: 2_000 + i * 500,
      minIncrement: 50,
      ...(i === 0 ? { reservePrice: 1_000_000 } : {}),
      ...(i === 1 ? { antiSnipe: { windowSeconds: 5, extendSeconds: 5, maxExtensions: 3 } } : {}),
      // Staggered ends, all inside the run, so the sweeper closes them while traffic goes on.
      endsAt: inSeconds(Math.max(10, Math.round((seconds * (i + 1)) / count))),
    });
    auctionIds.push(auction.id);
  }
  const productIds = [];
  for (let i = 0; i < num(context.vars.productCount, 3); i++) {
    const product = await createProduct({
      id: `${RUN_ID}-day-p${i}-${suffix()}`,
      name: `Load test: product ${i} of the day`,
      price: 1_500 + i * 1_000,
      stock: num(context.vars.stock, 50),
      perUserLimit: 2,
    });
    productIds.push(product.id);
  }
  context.vars.auctionIds = auctionIds;
  context.vars.productIds = productIds;
  context.vars.watchUntil = Date.now() + (seconds + 5) * 1000;
}

// ---------------------------------------------------------------------------------------------
// Per virtual user

const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** A fresh user (id + token) and one of the run's auctions / products for this virtual user. */
export function asUser(context, _events, done) {
  const userId = `${RUN_ID}-u-${threadId}-${suffix()}${suffix()}`;
  context.vars.userId = userId;
  context.vars.token = userToken(userId);
  if (Array.isArray(context.vars.auctionIds)) context.vars.auctionId = pick(context.vars.auctionIds);
  if (Array.isArray(context.vars.productIds)) context.vars.productId = pick(context.vars.productIds);
  done();
}

/**
 * Body of the next bid: the minimum the server last told us, plus 0-2 increments; one bid in three
 * also gives a maximum (proxy bidding) of up to 20 increments more.
 */
export function prepareBid(requestParams, context, _events, done) {
  const minimum = num(context.vars.minimumNextBid, 1_000);
  const increment = num(context.vars.minIncrement, 10);
  const amount = minimum + increment * Math.floor(Math.random() * 3);
  requestParams.json =
    Math.random() < 1 / 3
      ? { amount, maxAmount: amount + increment * Math.floor(Math.random() * 21) }
      : { amount };
  done();
}

/** Signed `payment.succeeded` (or, at `failRate`, `payment.failed`) for the order this user reserved. */
export function preparePayment(requestParams, context, _events, done) {
  const order = context.vars.order;
  const failed = Math.random() < num(context.vars.failRate, 0.1);
  const raw = JSON.stringify({
    id: context.vars.paymentEventId ?? `${RUN_ID}-pay-${suffix()}${suffix()}`,
    type: failed ? 'payment.failed' : 'payment.succeeded',
    orderId: order?.id ?? 'missing',
    amount: order?.amount ?? 1,
  });
  context.vars.paymentEventId = JSON.parse(raw).id;
  context.vars.paymentType = JSON.parse(raw).type;
  delete requestParams.json;
  requestParams.body = raw;
  requestParams.headers = {
    ...(requestParams.headers ?? {}),
    'content-type': 'application/json',
    'x-webhook-signature': webhookSignature(raw),
  };
  done();
}

// ---------------------------------------------------------------------------------------------
// Responses

/** Statuses each named request expects; anything else (and every 5xx) counts as unexpected. */
const EXPECTED = {
  auction: [200],
  product: [200],
  bids: [200],
  events: [200],
  order_read: [200],
  health: [200],
  bid: [201, 409, 429],
  order: [201, 409, 429],
  pay: [200],
  cancel: [200, 409],
};

const bidAcceptedAt = new Map();
const BID_TIMES_KEPT = 100_000;

function parse(body) {
  if (typeof body !== 'string') return body ?? {};
  try {
    return JSON.parse(body);
  } catch {
    return {};
  }
}

export function recordResponse(requestParams, response, context, events, done) {
  const name = requestParams.name ?? 'other';
  const status = response.statusCode;
  const ms = response.timings?.phases?.firstByte ?? 0;
  const unexpected = status >= 500 || !(EXPECTED[name] ?? [200, 201]).includes(status);
  events.emit('histogram', `latency.${name}`, ms);
  events.emit('counter', 'load.requests', 1);
  events.emit('counter', 'load.unexpected', unexpected ? 1 : 0);
  if (unexpected) events.emit('counter', `load.unexpected.${name}.${status}`, 1);
  sample(`r\t${Date.now()}\t${name}\t${status}\t${ms.toFixed(2)}`);

  const json = parse(response.body);
  if (name === 'auction' && json.auction) {
    context.vars.minimumNextBid = json.auction.minimumNextBid;
    context.vars.minIncrement = json.auction.minIncrement;
  } else if (name === 'bid') {
    if (status === 201 && json.bid) {
      context.vars.minimumNextBid = json.auction.minimumNextBid;
      bidAcceptedAt.set(json.bid.id, Date.now());
      if (bidAcceptedAt.size > BID_TIMES_KEPT) bidAcceptedAt.delete(bidAcceptedAt.keys().next().value);
      const { id, auctionId, bidderId, amount, seq } = json.bid;
      recordWrite('bid', { id, auctionId, bidderId, amount, seq });
    } else if (json.error?.code === 'bid_too_low' && json.error.minimumBid) {
      context.vars.minimumNextBid = json.error.minimumBid;
    } else if (json.error?.code === 'auction_closed') {
      context.vars.auctionClosed = true;
    }
  } else if (name === 'order') {
    if (status === 201 && json.order) {
      context.vars.order = json.order;
      const { id, productId, userId, qty, amount } = json.order;
      recordWrite('order', { id, productId, userId, qty, amount });
    } else {
      context.vars.order = undefined;
      if (json.error?.code === 'sold_out') context.vars.soldOut = true;
    }
  } else if (name === 'pay' && status === 200) {
    recordWrite('payment', {
      id: context.vars.paymentEventId,
      orderId: context.vars.order?.id,
      type: context.vars.paymentType,
      status: json.status,
    });
  } else if (name === 'cancel' && status === 200 && json.order) {
    recordWrite('cancel', { id: json.order.id, productId: json.order.productId, qty: json.order.qty });
  }
  done();
}

// `ifTrue` helpers: Artillery evaluates them against context.vars.
export const hasOrder = (vars) => Boolean(vars.order);
export const auctionOpen = (vars) => !vars.auctionClosed;
export const payThisOrder = (vars) => Boolean(vars.order) && Math.random() < num(vars.payRate, 0.7);
export const cancelThisOrder = (vars) => Boolean(vars.order) && Math.random() < num(vars.cancelRate, 0.15);

// ---------------------------------------------------------------------------------------------
// WebSocket watchers, measured here: Artillery's own WebSocket `match` breaks on unasked broadcasts.

/**
 * Subscribes to `watchTopics` of the run's auctions (default 1) and records, for every
 * `auction.updated`, the time since the bid's `placedAt` (`fanout.latency`) and, when this thread
 * placed that bid, since its 201 (`fanout.latency_from_201`). Stays until `watchSeconds` pass or the
 * run's `watchUntil`, whichever comes first.
 */
export async function watchAuctions(context, events) {
  const wsUrl = secret('WS_URL');
  const until = Math.min(
    Date.now() + num(context.vars.watchSeconds, 30) * 1000,
    num(context.vars.watchUntil, Number.POSITIVE_INFINITY),
  );
  if (until - Date.now() < 1_000) return;
  const ids = [...(context.vars.auctionIds ?? [])].sort(() => Math.random() - 0.5);
  const topics = ids.slice(0, Math.max(1, num(context.vars.watchTopics, 1))).map((id) => `auction:${id}`);
  const lastSeq = new Map();
  events.emit('counter', 'fanout.messages', 0);
  events.emit('counter', 'fanout.seq_violations', 0);

  await new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl);
    const opened = performance.now();
    let settled = false;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.close();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => finish(), until - Date.now());
    socket.on('error', (error) => finish(error));
    socket.on('close', (code) => finish(new Error(`WebSocket closed by the server (${code})`)));
    socket.on('open', () => {
      events.emit('histogram', 'ws.connect', performance.now() - opened);
      for (const topic of topics) socket.send(JSON.stringify({ action: 'subscribe', topic }));
    });
    socket.on('message', (data) => {
      const now = Date.now();
      const message = parse(data.toString());
      if (message.type === 'error') {
        finish(new Error(`WebSocket error message: ${message.code} ${message.message}`));
        return;
      }
      if (typeof message.seq !== 'number' || !message.topic) return;
      const previous = lastSeq.get(message.topic);
      if (previous !== undefined && message.seq <= previous)
        events.emit('counter', 'fanout.seq_violations', 1);
      lastSeq.set(message.topic, message.seq);
      if (message.type !== 'auction.updated') return;
      events.emit('counter', 'fanout.messages', 1);
      const placedAt = Date.parse(message.lastBid?.placedAt ?? '');
      if (!Number.isFinite(placedAt)) return;
      const latency = now - placedAt;
      events.emit('histogram', 'fanout.latency', latency);
      const acceptedAt = bidAcceptedAt.get(message.lastBid.id);
      const from201 = acceptedAt === undefined ? '' : String(now - acceptedAt);
      if (acceptedAt !== undefined) events.emit('histogram', 'fanout.latency_from_201', now - acceptedAt);
      sample(`f\t${now}\t${latency}\t${from201}\t${message.topic}\t${message.seq}`);
    });
  });
}
