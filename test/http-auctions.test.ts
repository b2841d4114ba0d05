import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

describe('auctions over the HTTP API', () => {
  let fx: HttpFixture;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    fx = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      bidRateLimit: 5,
    });
    alice = await tokenFor('alice');
    bob = await tokenFor('bob');
  });
  afterAll(() => fx.close());

  const bid = (id: string, amount: unknown, token: string, headers: Record<string, string> = {}) =>
    fx.request(`/auctions/${id}/bids`, { method: 'POST', token, body: { amount }, headers });

  it('answers health', async () => {
    const response = await fx.request('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('creates an auction as admin, with the admin as seller, and reads it back', async () => {
    const response = await fx.request('/auctions', {
      method: 'POST',
      token: fx.adminToken,
      body: {
        id: `lot-http-1-${Date.now()}`,
        title: 'Rare stamp',
        startingPrice: 5_000,
        minIncrement: 250,
        reservePrice: 9_000,
        endsAt: new Date(Date.now() + 60_000).toISOString(),
        antiSnipe: { windowSeconds: 30, extendSeconds: 30, maxExtensions: 3 },
      },
    });
    expect(response.status).toBe(201);
    const { auction } = (await response.json()) as { auction: Record<string, unknown> };
    expect(auction).toMatchObject({
      title: 'Rare stamp',
      sellerId: 'admin-1',
      status: 'open',
      currentPrice: null,
      leaderId: null,
      bidCount: 0,
      minimumNextBid: 5_000,
      extensions: 0,
      reserveMet: false,
      seq: 1,
      winnerId: null,
      finalPrice: null,
    });
    expect(auction).not.toHaveProperty('reservePrice');
    const read = await fx.request(`/auctions/${auction.id}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { auction: unknown }).auction).toEqual(auction);

    const again = await fx.request('/auctions', {
      method: 'POST',
      token: fx.adminToken,
      body: {
        id: auction.id,
        title: 'x',
        startingPrice: 1,
        minIncrement: 1,
        endsAt: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'auction_exists' } });
  });

  it('guards admin routes: 401 without a valid token, 403 without the role', async () => {
    const body = {
      title: 't',
      startingPrice: 1,
      minIncrement: 1,
      endsAt: new Date(Date.now() + 60_000).toISOString(),
    };
    const anonymous = await fx.request('/auctions', { method: 'POST', body });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthorized' } });
    // Expired beyond the 30 s clock-skew leeway (issue 19 item 7).
    const expired = await fx.request('/auctions', {
      method: 'POST',
      body,
      token: await tokenFor('x', { admin: true, expiresInSeconds: -60 }),
    });
    expect(expired.status).toBe(401);
    const user = await fx.request('/auctions', { method: 'POST', body, token: alice });
    expect(user.status).toBe(403);
    expect(await user.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('names the offending field for invalid bodies', async () => {
    const cases: [unknown, string][] = [
      [{ startingPrice: 1, minIncrement: 1, endsAt: new Date(Date.now() + 60_000).toISOString() }, 'title'],
      [
        {
          title: 't',
          startingPrice: 1.5,
          minIncrement: 1,
          endsAt: new Date(Date.now() + 60_000).toISOString(),
        },
        'startingPrice',
      ],
      [
        {
          title: 't',
          startingPrice: 1,
          minIncrement: 0,
          endsAt: new Date(Date.now() + 60_000).toISOString(),
        },
        'minIncrement',
      ],
      [{ title: 't', startingPrice: 1, minIncrement: 1, endsAt: 'tomorrow' }, 'endsAt'],
      [
        {
          title: 't',
          startingPrice: 1,
          minIncrement: 1,
          endsAt: new Date(Date.now() + 60_000).toISOString(),
          colour: 'red',
        },
        'colour',
      ],
      [
        {
          title: 't',
          startingPrice: 1,
          minIncrement: 1,
          endsAt: new Date(Date.now() - 60_000).toISOString(),
        },
        'endsAt',
      ],
      [
        {
          title: 't',
          startingPrice: 1,
          minIncrement: 1,
          endsAt: new Date(Date.now() + 40 * 86_400_000).toISOString(),
        },
        'endsAt',
      ],
      [
        {
          id: 'bad id!',
          title: 't',
          startingPrice: 1,
          minIncrement: 1,
          endsAt: new Date(Date.now() + 60_000).toISOString(),
        },
        'id',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await fx.request('/auctions', { method: 'POST', token: fx.adminToken, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('invalid_request');
      expect(json.error.message).toContain(field);
    }
    const notJson = await fx.request('/auctions', {
      method: 'POST',
      token: fx.adminToken,
      body: '{"title":',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses bodies over 16 KiB with 413', async () => {
    const auction = await fx.createAuction();
    const response = await bid(auction.id, 'x'.repeat(17 * 1024), alice);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('takes bids with the rules of API.md and lists them newest first', async () => {
    const auction = await fx.createAuction({ startingPrice: 1_000, minIncrement: 100 });
    const low = await bid(auction.id, 900, alice);
    expect(low.status).toBe(409);
    expect(await low.json()).toMatchObject({ error: { code: 'bid_too_low', minimumBid: 1_000 } });
    const first = await bid(auction.id, 1_000, alice);
    expect(first.status).toBe(201);
    const body = (await first.json()) as { bid: Record<string, unknown>; auction: Record<string, unknown> };
    expect(body.bid).toMatchObject({ auctionId: auction.id, bidderId: 'alice', amount: 1_000, seq: 2 });
    expect(typeof body.bid.placedAt).toBe('string');
    expect(body.auction).toMatchObject({
      currentPrice: 1_000,
      leaderId: 'alice',
      bidCount: 1,
      minimumNextBid: 1_100,
      seq: 2,
    });
    expect((await bid(auction.id, 2_000, alice)).status).toBe(409);
    expect((await bid(auction.id, 1_100, bob)).status).toBe(201);
    expect((await bid(auction.id, 5_000, fx.adminToken)).status).toBe(403);
    expect((await bid(auction.id, 5_000, 'not-a-token')).status).toBe(401);
    expect((await bid('no-such-auction', 5_000, alice)).status).toBe(404);

    const list = await fx.request(`/auctions/${auction.id}/bids?limit=1`);
    expect(list.status).toBe(200);
    const { bids } = (await list.json()) as { bids: { amount: number }[] };
    expect(bids.map((b) => b.amount)).toEqual([1_100]);
    expect((await fx.request(`/auctions/${auction.id}/bids?limit=0`)).status).toBe(400);
    expect((await fx.request(`/auctions/${auction.id}/bids?limit=101`)).status).toBe(400);
    expect((await fx.request('/auctions/missing/bids')).status).toBe(404);
  });

  it('answers 429 with Retry-After when one user bids too fast on one auction', async () => {
    const auction = await fx.createAuction();
    const statuses = [];
    let limited: Response | undefined;
    for (let index = 0; index < 8; index++) {
      const response = await bid(auction.id, 1, alice);
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited?.json()).toMatchObject({
      error: { code: 'rate_limited', retryAfterSeconds: expect.any(Number) },
    });
  });

  it('honours Idempotency-Key: same response, one effect; another body is 422', async () => {
    const auction = await fx.createAuction();
    const headers = { 'idempotency-key': `key-${auction.id}` };
    const first = await bid(auction.id, 1_000, bob, headers);
    const second = await bid(auction.id, 1_000, bob, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(await second.text()).toBe(await first.text());
    const reused = await bid(auction.id, 1_500, bob, headers);
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ error: { code: 'idempotency_key_reused' } });
    // The same key on another auction is a different request too.
    const other = await fx.createAuction();
    expect((await bid(other.id, 1_000, bob, headers)).status).toBe(422);
    // A refusal is replayed as well.
    const refusedHeaders = { 'idempotency-key': `low-${auction.id}` };
    const refused = await bid(auction.id, 1, alice, refusedHeaders);
    expect(refused.status).toBe(409);
    expect(await (await bid(auction.id, 1, alice, refusedHeaders)).text()).toBe(await refused.text());
    const read = (await (await fx.request(`/auctions/${auction.id}`)).json()) as {
      auction: { bidCount: number };
    };
    expect(read.auction.bidCount).toBe(1);
    expect((await bid(auction.id, 1_000, bob, { 'idempotency-key': '' })).status).toBe(400);
    expect((await bid(auction.id, 1_000, bob, { 'idempotency-key': 'k'.repeat(129) })).status).toBe(400);
  });

  it('reads closed once endsAt has passed, with the winner, before any sweeper ran', async () => {
    const auction = await fx.createAuction({ endsAt: new Date(Date.now() + 600).toISOString() });
    expect((await bid(auction.id, 1_000, alice)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const { auction: read } = (await (await fx.request(`/auctions/${auction.id}`)).json()) as {
      auction: Record<string, unknown>;
    };
    expect(read).toMatchObject({ status: 'closed', winnerId: 'alice', finalPrice: 1_000 });
    const late = await bid(auction.id, 5_000, bob);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: 'auction_closed' } });
  });

  it('refuses bids before startsAt', async () => {
    const auction = await fx.createAuction({ startsAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await (await fx.request(`/auctions/${auction.id}`)).json()) as unknown).toMatchObject({
      auction: { status: 'scheduled' },
    });
    const response = await bid(auction.id, 1_000, alice);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'auction_not_open' } });
  });

  it('lists events since a seq, oldest first', async () => {
    const auction = await fx.createAuction();
    await bid(auction.id, 1_000, alice);
    await bid(auction.id, 1_100, bob);
    const all = (await (await fx.request(`/auctions/${auction.id}/events`)).json()) as {
      events: { seq: number; type: string; auction: { seq: number }; bid?: { amount: number } }[];
      next: number | null;
    };
    expect(all.events.map((event) => [event.seq, event.type])).toEqual([
      [1, 'auction.created'],
      [2, 'bid.accepted'],
      [3, 'bid.accepted'],
    ]);
    expect(all.events[2]).toMatchObject({ auction: { seq: 3, currentPrice: 1_100 }, bid: { amount: 1_100 } });
    expect(all.next).toBeNull();
    const since = (await (await fx.request(`/auctions/${auction.id}/events?since=2`)).json()) as {
      events: { seq: number }[];
    };
    expect(since.events.map((event) => event.seq)).toEqual([3]);
    expect((await fx.request(`/auctions/${auction.id}/events?since=-1`)).status).toBe(400);
    expect((await fx.request(`/auctions/${auction.id}/events?since=abc`)).status).toBe(400);
  });

  it('sends accepted events to the persist and fanout queues and empties the outbox', async () => {
    const auction = await fx.createAuction();
    await bid(auction.id, 1_000, alice);
    const bodies = async (queueUrl: string) => {
      const seen: { eventId: string; type: string }[] = [];
      for (let round = 0; round < 5; round++) {
        const { Messages = [] } = await fx.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        seen.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}')));
        if (Messages.length === 0) break;
      }
      return seen
        .filter((event) => event.eventId.startsWith(`a:${auction.id}:`))
        .map((event) => event.eventId);
    };
    expect((await bodies(fx.persistQueueUrl)).sort()).toEqual([`a:${auction.id}:1`, `a:${auction.id}:2`]);
    expect((await bodies(fx.fanoutQueueUrl)).sort()).toEqual([`a:${auction.id}:1`, `a:${auction.id}:2`]);
    expect(await fx.redis.hlen(auctionKeys(auction.id).outbox)).toBe(0);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fx.request('/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'route_not_found' } });
  });
});
