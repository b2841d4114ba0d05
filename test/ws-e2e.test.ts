/**
 * End to end through the real pieces: real `ws` clients -> local gateway -> ws handler -> Redis;
 * bids through the HTTP app -> real SQS protocol -> fan-out handler -> management API -> gateway.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import type { EventEnvelope } from '../functions/domain/events.js';
import { parseTopic, type Topic } from '../functions/realtime/model.js';
import { tokenFor } from './support/tokens.js';
import {
  connectClient,
  type RealtimeStack,
  startRealtimeStack,
  subscribedClient,
  type TestClient,
  waitFor,
} from './ws-helpers.js';

type Message = {
  type: string;
  topic?: string;
  seq?: number;
  code?: string;
  message?: string;
  snapshot?: Record<string, unknown>;
  auction?: Record<string, unknown>;
  product?: Record<string, unknown>;
  lastBid?: Record<string, unknown> | null;
};

let stack: RealtimeStack;
beforeAll(async () => {
  stack = await startRealtimeStack({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
});
afterAll(async () => {
  await stack?.stop();
});

const bidders = ['bidder-a', 'bidder-b'];
async function bid(auctionId: string, amount: number, bidder: string) {
  const response = await stack.http.request(`/auctions/${auctionId}/bids`, {
    method: 'POST',
    token: await tokenFor(bidder),
    body: { amount },
  });
  const json = (await response.json()) as {
    auction: Record<string, unknown> & { seq: number };
    bid: Record<string, unknown>;
  };
  if (response.status !== 201) throw new Error(`bid failed: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function currentAuction(auctionId: string) {
  const response = await stack.http.request(`/auctions/${auctionId}`);
  return ((await response.json()) as { auction: Record<string, unknown> & { seq: number } }).auction;
}

function watcher(topic: string, token?: string): Promise<TestClient> {
  return subscribedClient(`${stack.gateway.url}${token ? `?token=${token}` : ''}`, topic);
}

function topicMessages(client: TestClient, topic: string): Message[] {
  return client.json<Message>().filter((message) => message.topic === topic);
}

function expectStrictlyIncreasing(messages: Message[]) {
  const seqs = messages.map((message) => message.seq as number);
  for (let i = 1; i < seqs.length; i++) {
    expect(seqs[i], `seq ${seqs[i]} after ${seqs[i - 1]} in ${seqs.join(',')}`).toBeGreaterThan(
      seqs[i - 1] as number,
    );
  }
}

describe('connecting', () => {
  it('accepts anonymous watchers and valid tokens, refuses an invalid or expired token', async () => {
    const anonymous = await connectClient(stack.gateway.url);
    const user = await connectClient(`${stack.gateway.url}?token=${await tokenFor('user-1')}`);
    await expect(connectClient(`${stack.gateway.url}?token=not-a-jwt`)).rejects.toThrow(/401/);
    await expect(connectClient(`${stack.gateway.url}?token=`)).rejects.toThrow(/401/);
    const expired = await tokenFor('user-1', { expiresInSeconds: -60 });
    await expect(connectClient(`${stack.gateway.url}?token=${expired}`)).rejects.toThrow(/401/);
    const forged = await tokenFor('user-1', { secret: 'another-secret-of-enough-length' });
    await expect(connectClient(`${stack.gateway.url}?token=${forged}`)).rejects.toThrow(/401/);
    await anonymous.close();
    await user.close();
  });
});

describe('client messages', () => {
  it('answers ping, and every bad message with a clear error', async () => {
    const auction = await stack.http.createAuction();
    const client = await connectClient(stack.gateway.url);
    const send = async (payload: string) => {
      const before = client.messages.length;
      client.socket.send(payload);
      await waitFor(() => client.messages.length > before);
      return JSON.parse(client.messages.at(-1) as string) as Message;
    };
    expect(await send('{"action":"ping"}')).toEqual({ type: 'pong' });
    expect(await send('not json')).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(await send('{"topic":"auction:1"}')).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(await send('{"action":"shout"}')).toMatchObject({ type: 'error', code: 'unknown_action' });
    expect(await send('{"action":"subscribe"}')).toMatchObject({ type: 'error', code: 'invalid_topic' });
    expect(await send('{"action":"subscribe","topic":"auction:a b"}')).toMatchObject({
      code: 'invalid_topic',
    });
    expect(await send('{"action":"subscribe","topic":"user:1"}')).toMatchObject({ code: 'invalid_topic' });
    const large = JSON.stringify({ action: 'ping', pad: 'x'.repeat(4_100) });
    const tooLarge = await send(large);
    expect(tooLarge).toMatchObject({ type: 'error', code: 'message_too_large' });
    expect(tooLarge.message).toMatch(/4096 bytes/);
    expect(await send('{"action":"subscribe","topic":"auction:nope"}')).toMatchObject({
      type: 'error',
      code: 'auction_not_found',
      topic: 'auction:nope',
    });
    expect(await send(`{"action":"subscribe","topic":"auction:${auction.id}"}`)).toMatchObject({
      type: 'subscribed',
      topic: `auction:${auction.id}`,
      seq: auction.seq,
      snapshot: { id: auction.id, seq: auction.seq, status: 'open' },
    });
    expect(await send(`{"action":"unsubscribe","topic":"auction:${auction.id}"}`)).toEqual({
      type: 'unsubscribed',
      topic: `auction:${auction.id}`,
    });
    await client.close();
  });

  it('allows at most 50 topics per connection', async () => {
    const client = await connectClient(stack.gateway.url);
    const auctions = await Promise.all(Array.from({ length: 51 }, () => stack.http.createAuction()));
    for (const auction of auctions) {
      client.socket.send(JSON.stringify({ action: 'subscribe', topic: `auction:${auction.id}` }));
    }
    await waitFor(() => client.messages.length === 51, 10_000);
    const messages = client.json<Message>();
    expect(messages.filter((message) => message.type === 'subscribed')).toHaveLength(50);
    const refused = messages.filter((message) => message.type === 'error');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ code: 'too_many_topics' });
    // unsubscribing frees a place
    const first = messages.find((message) => message.type === 'subscribed')?.topic as string;
    const last = refused[0]?.topic as string;
    client.socket.send(JSON.stringify({ action: 'unsubscribe', topic: first }));
    // messages are handled concurrently (as by API Gateway): wait for the answer before the next
    await waitFor(() => client.json<Message>().some((m) => m.type === 'unsubscribed'));
    client.socket.send(JSON.stringify({ action: 'subscribe', topic: last }));
    await waitFor(() => client.json<Message>().some((m) => m.type === 'subscribed' && m.topic === last));
    await client.close();
  });
});

describe('watching an auction', () => {
  it('a watcher sees every accepted bid’s state, with strictly increasing seq', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    const client = await watcher(topic);
    const responses: Awaited<ReturnType<typeof bid>>[] = [];
    for (let i = 0; i < 20; i++) {
      const accepted = await bid(auction.id, 1_000 + i * 100, bidders[i % 2] as string);
      responses.push(accepted);
      // waits for this bid's push before the next bid, so no conflation can merge two bids
      await waitFor(() => topicMessages(client, topic).some((m) => m.seq === accepted.auction.seq));
    }
    const messages = topicMessages(client, topic);
    expect(messages[0]).toMatchObject({ type: 'subscribed', seq: auction.seq });
    expectStrictlyIncreasing(messages);
    const updates = messages.slice(1);
    expect(updates).toHaveLength(20);
    updates.forEach((update, i) => {
      const response = responses[i] as Awaited<ReturnType<typeof bid>>;
      expect(update).toEqual({
        type: 'auction.updated',
        topic,
        seq: response.auction.seq,
        auction: response.auction,
        lastBid: response.bid,
      });
    });
    await client.close();
  });

  it('conflates a burst: fewer messages, strictly increasing, the last equals the final state', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    const clients = await Promise.all([watcher(topic), watcher(topic), watcher(topic)]);
    const conflatedBefore = stack.counts.conflated ?? 0;
    stack.pause();
    for (let i = 0; i < 40; i++) await bid(auction.id, 1_000 + i * 100, bidders[i % 2] as string);
    const final = await currentAuction(auction.id);
    stack.resume();
    for (const client of clients) {
      await waitFor(() => topicMessages(client, topic).at(-1)?.seq === final.seq, 10_000, 'final state');
      const messages = topicMessages(client, topic);
      expectStrictlyIncreasing(messages);
      expect(messages.length).toBeLessThan(41);
      expect(messages.at(-1)?.auction).toEqual(final);
    }
    expect((stack.counts.conflated ?? 0) - conflatedBefore).toBeGreaterThan(0);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('a client that missed messages catches up through /auctions/{id}/events?since=', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    const client = await watcher(topic);
    await bid(auction.id, 1_000, 'bidder-a');
    await waitFor(() => topicMessages(client, topic).length === 2);
    const lastSeen = topicMessages(client, topic).at(-1)?.seq as number;
    await client.close(); // offline: misses the next bids
    for (let i = 1; i <= 12; i++) await bid(auction.id, 1_000 + i * 100, bidders[i % 2] as string);

    const response = await stack.http.request(`/auctions/${auction.id}/events?since=${lastSeen}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as {
      events: { seq: number; type: string; auction: { seq: number } }[];
      next: number | null;
    };
    expect(page.events.map((event) => event.seq)).toEqual(
      Array.from({ length: 12 }, (_, i) => lastSeen + 1 + i),
    );
    expect(page.events.every((event) => event.type === 'bid.accepted')).toBe(true);
    expect(page.next).toBeNull();
    expect(page.events.at(-1)?.auction).toEqual(await currentAuction(auction.id));

    // and a reconnecting client gets the current state as its snapshot
    const again = await watcher(topic);
    expect(topicMessages(again, topic)[0]).toMatchObject({ type: 'subscribed', seq: lastSeen + 12 });
    await again.close();
  });

  it('subscribes racing with a stream of bids: the snapshot comes first and seqs strictly increase', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    let stop = false;
    let bids = 0;
    const bidding = (async () => {
      while (!stop) {
        await bid(auction.id, 1_000 + bids * 100, bidders[bids % 2] as string);
        bids++;
      }
    })();
    const clients: TestClient[] = [];
    for (let round = 0; round < 6; round++) {
      const batch = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const client = await connectClient(stack.gateway.url);
          client.socket.send(JSON.stringify({ action: 'subscribe', topic }));
          return client;
        }),
      );
      clients.push(...batch);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await bidding;
    const final = await currentAuction(auction.id);
    expect(bids).toBeGreaterThan(10);
    for (const client of clients) {
      await waitFor(() => topicMessages(client, topic).at(-1)?.seq === final.seq, 10_000, 'final state');
      const messages = topicMessages(client, topic);
      expect(messages[0]?.type).toBe('subscribed');
      expect(messages.slice(1).every((message) => message.type === 'auction.updated')).toBe(true);
      expectStrictlyIncreasing(messages);
      expect(messages.at(-1)?.auction ?? messages.at(-1)?.snapshot).toEqual(final);
    }
    // 30 watchers and parts of 4 (ws-helpers): the waves went out in parts, through the queue.
    expect(stack.counts.parts ?? 0).toBeGreaterThan(0);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('duplicate and reordered deliveries never repeat or go back in seq', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    const client = await watcher(topic);
    for (let i = 0; i < 3; i++) await bid(auction.id, 1_000 + i * 100, bidders[i % 2] as string);
    const final = await currentAuction(auction.id);
    await waitFor(() => topicMessages(client, topic).at(-1)?.seq === final.seq);
    const events = (await stack.http.redis.zrange(auctionKeys(auction.id).events, 0, -1)).map(
      (row) => JSON.parse(row) as EventEnvelope,
    );
    const before = topicMessages(client, topic).length;
    // the newest again, then older ones, as SQS may deliver them
    for (const event of [events.at(-1), events[1], events[0], events.at(-1)]) {
      await stack.http.sqs.send(
        new SendMessageCommand({ QueueUrl: stack.http.fanoutQueueUrl, MessageBody: JSON.stringify(event) }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const messages = topicMessages(client, topic);
    expect(messages).toHaveLength(before);
    expectStrictlyIncreasing(messages);
    expect(stack.counts.stale).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it('proxy bidding: a request’s two price changes reach watchers as the newest, never with a maximum', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    const client = await watcher(topic);
    const post = async (bidder: string, body: Record<string, number>) => {
      const response = await stack.http.request(`/auctions/${auction.id}/bids`, {
        method: 'POST',
        token: await tokenFor(bidder),
        body,
      });
      expect(response.status).toBe(201);
      return (await response.json()) as { auction: { seq: number }; bid: Record<string, unknown> };
    };
    // Maxima no price here can spell.
    const opening = await post('bidder-a', { amount: 1_000, maxAmount: 7_777_777 });
    await waitFor(() => topicMessages(client, topic).some((m) => m.seq === opening.auction.seq));
    const outbid = await post('bidder-b', { amount: 1_100, maxAmount: 3_333_333 });
    await waitFor(() => topicMessages(client, topic).some((m) => m.seq === outbid.auction.seq));
    // The leader's new maximum changes nothing a watcher sees.
    const raised = await post('bidder-a', { amount: 3_333_533, maxAmount: 8_888_888 });
    const last = await post('bidder-c', { amount: 3_333_533 });
    await waitFor(() => topicMessages(client, topic).some((m) => m.seq === last.auction.seq));
    const messages = topicMessages(client, topic);
    expectStrictlyIncreasing(messages);
    // The outbid request made two price changes (seq 3 and 4) sent together: conflated to the newest.
    const afterOutbid = messages.find((m) => m.seq === outbid.auction.seq);
    expect(afterOutbid).toMatchObject({
      type: 'auction.updated',
      auction: { leaderId: 'bidder-a', currentPrice: 3_333_433 },
      lastBid: { bidderId: 'bidder-a', amount: 3_333_433, proxy: true },
    });
    expect(afterOutbid?.auction).toEqual(outbid.auction);
    expect(messages.some((m) => m.seq === outbid.auction.seq - 1)).toBe(false);
    // It is not sent to the fan-out; a wave catching up with the store's newest event may still push
    // its seq, with the public state unchanged and no bid.
    const afterRaise = messages.find((m) => m.seq === raised.auction.seq);
    if (afterRaise) {
      expect(afterRaise).toMatchObject({ type: 'auction.updated', lastBid: null });
      expect(afterRaise.auction).toEqual(raised.auction);
    }
    expect(messages.at(-1)?.auction).toEqual(last.auction);
    for (const raw of client.messages) {
      for (const secret of ['7777777', '3333333', '8888888']) expect(raw).not.toContain(secret);
      expect(raw).not.toMatch(/maxAmount|leaderMax/);
    }
    // A watcher subscribing now gets the same, in its snapshot.
    const late = await watcher(topic);
    expect(topicMessages(late, topic)[0]).toMatchObject({ type: 'subscribed', seq: last.auction.seq });
    expect(late.messages.join('')).not.toMatch(/7777777|3333333|8888888|maxAmount|leaderMax/);
    await Promise.all([client.close(), late.close()]);
  });

  it('auction.closed reaches watchers with the closed auction', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    const client = await watcher(topic);
    await bid(auction.id, 1_500, 'bidder-a');
    // The event the sweeper's close script (close-auction.lua) produces: the state with closedAt, seq + 1.
    const keys = auctionKeys(auction.id);
    const state = await stack.http.redis.hgetall(keys.state);
    const closedAt = Date.now();
    const seq = Number(state.seq) + 1;
    const closed: EventEnvelope = {
      eventId: `a:${auction.id}:${seq}`,
      type: 'auction.closed',
      entityType: 'auction',
      entityId: auction.id,
      seq,
      occurredAt: closedAt,
      payload: { state: { ...state, seq: String(seq), closedAt: String(closedAt) } },
    };
    await stack.http.redis.hset(keys.state, 'seq', String(seq), 'closedAt', String(closedAt));
    await stack.http.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.http.fanoutQueueUrl, MessageBody: JSON.stringify(closed) }),
    );
    await waitFor(() => topicMessages(client, topic).some((message) => message.type === 'auction.closed'));
    const message = topicMessages(client, topic).at(-1) as Message;
    expect(message).toEqual({
      type: 'auction.closed',
      topic,
      seq,
      auction: await currentAuction(auction.id),
    });
    expect(message.auction).toMatchObject({
      status: 'closed',
      winnerId: 'bidder-a',
      finalPrice: 1_500,
    });
    await client.close();
  });
});

describe('watching a product', () => {
  it('product.updated reaches watchers when stock changes, down to sold out', async () => {
    const created = await stack.http.request('/products', {
      method: 'POST',
      token: stack.http.adminToken,
      body: { name: 'Flash item', price: 2_500, stock: 2 },
    });
    expect(created.status).toBe(201);
    const product = ((await created.json()) as { product: { id: string; seq: number } }).product;
    const topic = `product:${product.id}`;
    const client = await watcher(topic);
    expect(topicMessages(client, topic)[0]).toMatchObject({
      type: 'subscribed',
      seq: product.seq,
      snapshot: { id: product.id, available: 2, stock: 2 },
    });
    for (const user of ['buyer-1', 'buyer-2']) {
      const order = await stack.http.request('/orders', {
        method: 'POST',
        token: await tokenFor(user),
        body: { productId: product.id, qty: 1 },
      });
      expect(order.status).toBe(201);
    }
    await waitFor(() => topicMessages(client, topic).at(-1)?.product?.available === 0);
    const messages = topicMessages(client, topic);
    expectStrictlyIncreasing(messages);
    const current = await stack.http.request(`/products/${product.id}`);
    expect(messages.at(-1)).toEqual({
      type: 'product.updated',
      topic,
      seq: ((await current.json()) as { product: { seq: number } }).product.seq,
      product: expect.objectContaining({ id: product.id, available: 0 }),
    });
    await client.close();
  });

  it('refuses an unknown product', async () => {
    const client = await watcher(`product:${ulid()}`);
    expect(client.json<Message>()[0]).toMatchObject({ type: 'error', code: 'product_not_found' });
    await client.close();
  });
});

describe('connections that vanish', () => {
  const topicOf = (id: string) => parseTopic(`auction:${id}`) as Topic;

  it('a connection that died without $disconnect is removed on 410 Gone', async () => {
    const auction = await stack.http.createAuction();
    const topic = topicOf(auction.id);
    const live = await watcher(topic.name);
    // Ghosts: registered and active, but the gateway never knew them (their $disconnect was lost).
    const ghosts = [ulid(), ulid(), ulid()];
    const registry = stack.wsDeps.registry;
    // Counted before the ghosts exist: the auction's creation wave may still be on its way (a busy
    // machine) and find them first; whichever wave posts to them, each must be a 410 that removes it.
    const goneBefore = stack.counts.gone ?? 0;
    for (const ghost of ghosts) {
      await registry.addTopic(ghost, topic, 50, Date.now() + 600_000);
      await registry.register(topic, ghost, Date.now() + 600_000, 0);
      await registry.activate(topic, ghost, auction.seq, 0);
    }
    const accepted = await bid(auction.id, 1_000, 'bidder-a');
    await waitFor(() => topicMessages(live, topic.name).some((m) => m.seq === accepted.auction.seq));
    await waitFor(() => (stack.counts.gone ?? 0) - goneBefore >= 3);
    // The gone connections are forgotten after the wave released its lease: on a busy machine
    // that can take longer than expect.poll's default second.
    await expect.poll(() => stack.http.redis.zcard(`{t:${topic.name}}:conns`), { timeout: 10_000 }).toBe(1);
    for (const ghost of ghosts) {
      await expect.poll(() => stack.http.redis.exists(`{c:${ghost}}:topics`), { timeout: 10_000 }).toBe(0);
    }
    await live.close();
  });

  it('expired registrations are dropped without a post, and their sets expire on their own', async () => {
    const auction = await stack.http.createAuction();
    const topic = topicOf(auction.id);
    const live = await watcher(topic.name);
    const stale = ulid();
    const registry = stack.wsDeps.registry;
    await registry.addTopic(stale, topic, 50, Date.now() + 300);
    await registry.register(topic, stale, Date.now() + 300, 0);
    await registry.activate(topic, stale, auction.seq, 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await stack.http.redis.exists(`{c:${stale}}:topics`)).toBe(0);
    const goneBefore = stack.counts.gone ?? 0;
    const accepted = await bid(auction.id, 1_000, 'bidder-a');
    await waitFor(() => topicMessages(live, topic.name).some((m) => m.seq === accepted.auction.seq));
    expect((stack.counts.gone ?? 0) - goneBefore).toBe(0);
    expect(await stack.http.redis.zscore(`{t:${topic.name}}:conns`, stale)).toBeNull();
    await live.close();
  });

  it('$disconnect removes the connection from every topic it watched', async () => {
    const auctions = [await stack.http.createAuction(), await stack.http.createAuction()];
    const client = await connectClient(stack.gateway.url);
    for (const auction of auctions) {
      client.socket.send(JSON.stringify({ action: 'subscribe', topic: `auction:${auction.id}` }));
    }
    await waitFor(() => client.messages.length === 2);
    for (const auction of auctions) {
      expect(await stack.http.redis.zcard(`{t:auction:${auction.id}}:conns`)).toBe(1);
    }
    await client.close();
    for (const auction of auctions) {
      await expect
        .poll(() => stack.http.redis.zcard(`{t:auction:${auction.id}}:conns`), { timeout: 3_000 })
        .toBe(0);
    }
  });
});
