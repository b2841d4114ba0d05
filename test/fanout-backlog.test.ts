/**
 * A backlog in the fanout queue, read 5 records at a time (Lambda reads the fanout queue 10 at a
 * time): the first wave pushes the auction's newest state from Redis, not the newest of its batch,
 * so the rest of the backlog is stale and the watchers get the final state at once instead of a
 * stream of old ones. Real pieces: HTTP app, real SQS protocol, local gateway, real `ws` clients.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tokenFor } from './support/tokens.js';
import { type RealtimeStack, startRealtimeStack, subscribedClient, waitFor } from './ws-helpers.js';

type Message = { type: string; topic?: string; seq?: number; auction?: Record<string, unknown> };

let stack: RealtimeStack;
beforeAll(async () => {
  stack = await startRealtimeStack({
    redisUrl: inject('redisUrl'),
    sqsEndpoint: inject('sqsEndpoint'),
    batchSize: 5,
    batchWindowMs: 0,
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('fan-out with a backlog', () => {
  it('pushes the newest state first: the backlog behind it is stale, not a stream of old states', async () => {
    const auction = await stack.http.createAuction();
    const topic = `auction:${auction.id}`;
    const watchers = await Promise.all([0, 1, 2].map(() => subscribedClient(stack.gateway.url, topic)));
    const tokens = await Promise.all([tokenFor('backlog-a'), tokenFor('backlog-b')]);
    const caughtUpBefore = stack.counts.caughtUp ?? 0;
    const staleBefore = stack.counts.stale ?? 0;

    stack.pause();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a poll in flight ends first
    for (let i = 0; i < 40; i++) {
      const response = await stack.http.request(`/auctions/${auction.id}/bids`, {
        method: 'POST',
        token: tokens[i % 2] as string,
        body: { amount: 1_000 + i * 100 },
      });
      expect(response.status).toBe(201);
    }
    const final = (
      (await (await stack.http.request(`/auctions/${auction.id}`)).json()) as {
        auction: Record<string, unknown> & { seq: number };
      }
    ).auction;
    stack.resume();

    for (const client of watchers) {
      await waitFor(
        () =>
          client
            .json<Message>()
            .filter((m) => m.topic === topic)
            .at(-1)?.seq === final.seq,
        10_000,
        'final state',
      );
    }
    // Let the rest of the backlog (8 batches of 5) go through: none of it may reach a watcher.
    await waitFor(() => (stack.counts.stale ?? 0) - staleBefore >= 7, 10_000, 'the backlog, stale');
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const client of watchers) {
      const updates = client.json<Message>().filter((m) => m.topic === topic && m.type === 'auction.updated');
      expect(updates.map((m) => m.seq)).toEqual([final.seq]);
      expect(updates[0]?.auction).toEqual(final);
    }
    expect((stack.counts.caughtUp ?? 0) - caughtUpBefore).toBe(1);
    await Promise.all(watchers.map((client) => client.close()));
  });
});
