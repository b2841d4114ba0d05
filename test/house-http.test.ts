/**
 * The auction house (API.md v1.2) over the HTTP API: create-time validation of Buy It Now and the
 * increment table, the new Auction fields, and the answers of buy-now, end and cancel.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EBAY_INCREMENT_TABLE } from '../functions/domain/increments.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
type Json = Record<string, any>;

describe('auction house over the HTTP API', () => {
  let fx: HttpFixture;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
    tokens.admin = fx.adminToken;
    tokens.otherAdmin = await tokenFor('admin-2', { admin: true });
    for (const user of ['alice', 'bob', 'carol']) tokens[user] = await tokenFor(user);
  });
  afterAll(() => fx.close());

  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const call = async (
    path: string,
    init: { method?: string; as?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const response = await fx.request(path, {
      method: init.method ?? 'GET',
      ...(init.as ? { token: tokens[init.as] } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.headers ? { headers: init.headers } : {}),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const create = (body: Json) =>
    call('/auctions', {
      method: 'POST',
      as: 'admin',
      body: { title: 'Lot', startingPrice: 1_000, endsAt: inAnHour(), ...body },
    });
  const created = async (body: Json) => {
    const answer = await create(body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.auction as Json;
  };
  const bid = (id: string, as: string, amount: number) =>
    call(`/auctions/${id}/bids`, { method: 'POST', as, body: { amount } });
  const buyNow = (id: string, as: string, headers?: Record<string, string>) =>
    call(`/auctions/${id}/buy-now`, { method: 'POST', as, ...(headers ? { headers } : {}) });

  describe('create', () => {
    it('a v1 auction reads the new fields as absent', async () => {
      const auction = await created({ minIncrement: 100 });
      expect(auction).toMatchObject({
        minIncrement: 100,
        buyNowPrice: null,
        buyNowAvailable: false,
        incrementTable: null,
        cancelled: false,
        closedBy: null,
      });
    });

    it('takes an increment table instead of minIncrement: minIncrement is the row in force', async () => {
      const auction = await created({
        startingPrice: 99,
        incrementTable: EBAY_INCREMENT_TABLE,
        buyNowPrice: 5_000,
      });
      expect(auction).toMatchObject({
        minIncrement: 5,
        minimumNextBid: 99,
        incrementTable: EBAY_INCREMENT_TABLE,
        buyNowPrice: 5_000,
        buyNowAvailable: true,
      });
      const first = await bid(auction.id, 'alice', 99);
      expect(first.body.auction).toMatchObject({ minIncrement: 5, minimumNextBid: 104 });
      expect((await bid(auction.id, 'bob', 103)).body.error).toMatchObject({
        code: 'bid_too_low',
        minimumBid: 104,
      });
      const second = await bid(auction.id, 'bob', 2_500);
      expect(second.body.auction).toMatchObject({ minIncrement: 100, minimumNextBid: 2_600 });
      expect((await call(`/auctions/${auction.id}`)).body.auction).toMatchObject({
        minIncrement: 100,
        minimumNextBid: 2_600,
        buyNowAvailable: false,
      });
    });

    it.each<[string, Json, string]>([
      [
        'both minIncrement and a table',
        { minIncrement: 10, incrementTable: [{ from: 0, increment: 5 }] },
        'incrementTable',
      ],
      ['neither', {}, 'minIncrement'],
      ['an empty table', { incrementTable: [] }, 'incrementTable'],
      ['a first row not at 0', { incrementTable: [{ from: 5, increment: 5 }] }, 'incrementTable.0.from'],
      [
        'rows not ascending',
        {
          incrementTable: [
            { from: 0, increment: 5 },
            { from: 100, increment: 10 },
            { from: 100, increment: 20 },
          ],
        },
        'incrementTable.2.from',
      ],
      ['a zero increment', { incrementTable: [{ from: 0, increment: 0 }] }, 'incrementTable.0.increment'],
      [
        'a fractional increment',
        { incrementTable: [{ from: 0, increment: 1.5 }] },
        'incrementTable.0.increment',
      ],
      ['a string from', { incrementTable: [{ from: '0', increment: 5 }] }, 'incrementTable.0.from'],
      ['an unknown row field', { incrementTable: [{ from: 0, increment: 5, upTo: 9 }] }, 'incrementTable.0'],
      [
        'too many rows',
        { incrementTable: Array.from({ length: 33 }, (_, i) => ({ from: i, increment: 1 })) },
        'incrementTable',
      ],
      ['a table that is not a list', { incrementTable: { from: 0, increment: 5 } }, 'incrementTable'],
      [
        'startingPrice + its increment unsafe',
        { startingPrice: Number.MAX_SAFE_INTEGER - 5, incrementTable: [{ from: 0, increment: 10 }] },
        'incrementTable',
      ],
      [
        'startingPrice + a larger increment of a lower tier unsafe (a first bid would be above the ceiling)',
        {
          startingPrice: Number.MAX_SAFE_INTEGER - 10,
          incrementTable: [
            { from: 0, increment: 1_000 },
            { from: 100, increment: 1 },
          ],
        },
        'incrementTable',
      ],
      ['buyNowPrice at the starting price', { minIncrement: 10, buyNowPrice: 1_000 }, 'buyNowPrice'],
      [
        'buyNowPrice below the reserve',
        { minIncrement: 10, reservePrice: 5_000, buyNowPrice: 4_999 },
        'buyNowPrice',
      ],
      ['buyNowPrice not money', { minIncrement: 10, buyNowPrice: 12.5 }, 'buyNowPrice'],
    ])('refuses %s with 400 naming the field', async (_name, body, field) => {
      const answer = await create(body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.error.message.startsWith(`${field}`), answer.body.error.message).toBe(true);
    });

    it('a buyNowPrice equal to the reserve is fine', async () => {
      expect(await created({ minIncrement: 10, reservePrice: 5_000, buyNowPrice: 5_000 })).toMatchObject({
        buyNowPrice: 5_000,
        buyNowAvailable: true,
      });
    });
  });

  describe('buy-now', () => {
    it('closes the auction for the buyer at the Buy It Now price; then 409 auction_closed', async () => {
      const auction = await created({ minIncrement: 100, buyNowPrice: 9_000 });
      expect((await buyNow(auction.id, 'admin')).body.error.code).toBe('seller_cannot_bid');
      const bought = await buyNow(auction.id, 'alice');
      expect(bought.status).toBe(201);
      expect(Object.keys(bought.body)).toEqual(['auction']);
      expect(bought.body.auction).toMatchObject({
        status: 'closed',
        closedBy: 'buy_now',
        cancelled: false,
        winnerId: 'alice',
        leaderId: 'alice',
        currentPrice: 9_000,
        finalPrice: 9_000,
        buyNowAvailable: false,
        bidCount: 0,
        seq: 2,
      });
      expect((await buyNow(auction.id, 'bob')).body.error.code).toBe('auction_closed');
      expect((await bid(auction.id, 'bob', 10_000)).body.error.code).toBe('auction_closed');
      expect((await call(`/auctions/${auction.id}`)).body.auction).toEqual(bought.body.auction);
      const events = (await call(`/auctions/${auction.id}/events`)).body.events as Json[];
      expect(events.map((event) => event.type)).toEqual(['auction.created', 'auction.closed']);
    });

    it('is unavailable after a bid without a reserve, and once the reserve is met with one', async () => {
      const plain = await created({ minIncrement: 100, buyNowPrice: 9_000 });
      expect((await bid(plain.id, 'alice', 1_000)).body.auction.buyNowAvailable).toBe(false);
      expect(await buyNow(plain.id, 'bob')).toMatchObject({
        status: 409,
        body: { error: { code: 'buy_now_unavailable' } },
      });

      const reserved = await created({ minIncrement: 100, reservePrice: 3_000, buyNowPrice: 9_000 });
      expect((await bid(reserved.id, 'alice', 1_000)).body.auction).toMatchObject({
        buyNowAvailable: true,
        reserveMet: false,
      });
      expect((await bid(reserved.id, 'bob', 3_000)).body.auction).toMatchObject({
        buyNowAvailable: false,
        reserveMet: true,
      });
      expect((await buyNow(reserved.id, 'carol')).body.error.code).toBe('buy_now_unavailable');
    });

    it('409 buy_now_unavailable without a price, auction_not_open before the start, 404 unknown, 401 anonymous', async () => {
      const none = await created({ minIncrement: 100 });
      expect((await buyNow(none.id, 'alice')).body.error.code).toBe('buy_now_unavailable');
      const later = await created({
        minIncrement: 100,
        buyNowPrice: 2_000,
        startsAt: new Date(Date.now() + 600_000).toISOString(),
      });
      expect(later).toMatchObject({ status: 'scheduled', buyNowAvailable: false });
      expect((await buyNow(later.id, 'alice')).body.error.code).toBe('auction_not_open');
      expect(await buyNow('no-such-lot', 'alice')).toMatchObject({
        status: 404,
        body: { error: { code: 'auction_not_found' } },
      });
      expect((await call(`/auctions/${none.id}/buy-now`, { method: 'POST' })).status).toBe(401);
    });

    it('honours an Idempotency-Key: a replay answers the same, another route with the key is 422', async () => {
      const auction = await created({ minIncrement: 100, buyNowPrice: 9_000 });
      const key = { 'idempotency-key': `buy-${auction.id}` };
      const first = await buyNow(auction.id, 'alice', key);
      expect(first.status).toBe(201);
      const again = await buyNow(auction.id, 'alice', key);
      expect(again).toEqual(first);
      const events = (await call(`/auctions/${auction.id}/events`)).body.events as Json[];
      expect(events).toHaveLength(2);
      const reused = await call(`/auctions/${auction.id}/bids`, {
        method: 'POST',
        as: 'alice',
        body: { amount: 10_000 },
        headers: key,
      });
      expect(reused.status).toBe(422);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
      // A refusal under a key is replayed too.
      const other = await created({ minIncrement: 100 });
      const refusalKey = { 'idempotency-key': `refused-${other.id}` };
      const refused = await buyNow(other.id, 'bob', refusalKey);
      expect(refused.status).toBe(409);
      expect(await buyNow(other.id, 'bob', refusalKey)).toEqual(refused);
    });
  });

  describe('end and cancel', () => {
    it('only the seller: 401 anonymous, 403 for a user and for another admin, 404 unknown', async () => {
      const auction = await created({ minIncrement: 100 });
      for (const route of ['end', 'cancel']) {
        const body = route === 'cancel' ? { reason: 'no' } : undefined;
        const path = `/auctions/${auction.id}/${route}`;
        expect((await call(path, { method: 'POST', body })).status).toBe(401);
        expect((await call(path, { method: 'POST', as: 'alice', body })).body.error.code).toBe('forbidden');
        expect(await call(path, { method: 'POST', as: 'otherAdmin', body })).toMatchObject({
          status: 403,
          body: { error: { code: 'forbidden' } },
        });
        expect(
          (await call(`/auctions/nope-${route}/${route}`, { method: 'POST', as: 'admin', body })).status,
        ).toBe(404);
      }
      expect((await call(`/auctions/${auction.id}`)).body.auction.status).toBe('open');
    });

    it.each<[string, unknown]>([
      ['no body', undefined],
      ['no reason', {}],
      ['an empty reason', { reason: '   ' }],
      ['a reason over 500 characters', { reason: 'x'.repeat(501) }],
      ['a reason with a control character', { reason: 'bad\u0000' }],
      ['a reason that is not text', { reason: 5 }],
      ['an unknown field', { reason: 'ok', refund: true }],
    ])('cancel refuses %s with 400', async (_name, body) => {
      const auction = await created({ minIncrement: 100 });
      const answer = await call(`/auctions/${auction.id}/cancel`, { method: 'POST', as: 'admin', body });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    });

    it('end: closed now with the winner as at endsAt; a second close is 409', async () => {
      const auction = await created({ minIncrement: 100, reservePrice: 1_500 });
      await bid(auction.id, 'alice', 1_000);
      await bid(auction.id, 'bob', 1_600);
      const ended = await call(`/auctions/${auction.id}/end`, { method: 'POST', as: 'admin' });
      expect(ended.status).toBe(200);
      expect(Object.keys(ended.body)).toEqual(['auction']);
      expect(ended.body.auction).toMatchObject({
        status: 'closed',
        closedBy: 'seller',
        cancelled: false,
        winnerId: 'bob',
        finalPrice: 1_600,
        seq: 4,
      });
      expect(Date.parse(ended.body.auction.endsAt)).toBeLessThan(Date.parse(auction.endsAt));
      for (const route of ['end', 'cancel'])
        expect(
          (
            await call(`/auctions/${auction.id}/${route}`, {
              method: 'POST',
              as: 'admin',
              body: { reason: 'late' },
            })
          ).body.error.code,
        ).toBe('auction_closed');
    });

    it('end below the reserve: closed without a winner, as at endsAt', async () => {
      const auction = await created({ minIncrement: 100, reservePrice: 5_000 });
      await bid(auction.id, 'alice', 1_000);
      const ended = await call(`/auctions/${auction.id}/end`, { method: 'POST', as: 'admin' });
      expect(ended.body.auction).toMatchObject({
        status: 'closed',
        winnerId: null,
        finalPrice: null,
        leaderId: 'alice',
      });
    });

    it('cancel: closed, cancelled, no winner; a scheduled auction can be cancelled too', async () => {
      const auction = await created({ minIncrement: 100, buyNowPrice: 5_000 });
      await bid(auction.id, 'alice', 1_000);
      const cancelled = await call(`/auctions/${auction.id}/cancel`, {
        method: 'POST',
        as: 'admin',
        body: { reason: 'Listed by mistake' },
      });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.auction).toMatchObject({
        status: 'closed',
        closedBy: 'seller',
        cancelled: true,
        winnerId: null,
        finalPrice: null,
        buyNowAvailable: false,
      });
      expect(JSON.stringify(cancelled.body)).not.toContain('Listed by mistake');
      expect((await buyNow(auction.id, 'bob')).body.error.code).toBe('auction_closed');

      const later = await created({
        minIncrement: 100,
        startsAt: new Date(Date.now() + 600_000).toISOString(),
      });
      const early = await call(`/auctions/${later.id}/cancel`, {
        method: 'POST',
        as: 'admin',
        body: { reason: 'x' },
      });
      expect(early.body.auction).toMatchObject({ status: 'closed', cancelled: true });
      expect((await bid(later.id, 'alice', 1_000)).body.error.code).toBe('auction_closed');
    });
  });
});
