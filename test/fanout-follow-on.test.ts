/**
 * Follow-on waves: a wave that ends while a newer event is already in Redis sends that one next,
 * from the same invocation, instead of leaving the free lease to a poller that notices it up to
 * 50 ms later. Only while the invocation has time left for a whole wave; seq strictly increasing
 * at every watcher either way. Real pieces: HTTP app on real Redis, the local gateway, `ws` clients;
 * the fan-out is called directly with the stack's own adapters, a bid placed during its first wave.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EventEnvelope } from '../functions/domain/events.js';
import { parseTopic } from '../functions/realtime/model.js';
import {
  FANOUT_FOLLOW_ON_RESERVE_MS,
  type FanOutDeps,
  fanOut,
} from '../functions/realtime/use-cases/fan-out.js';
import { tokenFor } from './support/tokens.js';
import { type RealtimeStack, startRealtimeStack, subscribedClient, waitFor } from './ws-helpers.js';

type Message = { type: string; topic?: string; seq?: number };

let stack: RealtimeStack;
beforeAll(async () => {
  stack = await startRealtimeStack({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
  // This test is the fan-out: the stack's own poller must not push these events too.
  stack.pause();
});
afterAll(async () => {
  await stack?.stop();
});

async function waveWithABidDuringIt(remainingMs: number) {
  const auction = await stack.http.createAuction();
  const topicName = `auction:${auction.id}`;
  const topic = parseTopic(topicName);
  if (!topic) throw new Error('bad topic');
  const watchers = await Promise.all([0, 1, 2].map(() => subscribedClient(stack.gateway.url, topicName)));
  const [alice, bob] = await Promise.all([tokenFor('follow-a'), tokenFor('follow-b')]);
  const bid = (token: string, amount: number) =>
    stack.http.request(`/auctions/${auction.id}/bids`, { method: 'POST', token, body: { amount } });
  expect((await bid(alice as string, 1_000)).status).toBe(201);
  const first = (await stack.fanOutDeps.topics?.latestEvent(topic)) as EventEnvelope;

  // The second bid is accepted while the first wave is being posted.
  let placed: Promise<Response> | undefined;
  const deps: FanOutDeps = {
    ...stack.fanOutDeps,
    messenger: {
      post: async (connectionId, data) => {
        placed ??= Promise.resolve(bid(bob as string, 2_000));
        await placed;
        return stack.fanOutDeps.messenger.post(connectionId, data);
      },
    },
  };
  const followOnsBefore = stack.counts.followOn ?? 0;
  const result = await fanOut(deps, [{ messageId: 'm1', body: JSON.stringify(first) }], {
    remainingMs: () => remainingMs,
  });
  expect(result.batchItemFailures).toEqual([]);
  expect((await placed)?.status).toBe(201);
  const newest = (await stack.fanOutDeps.topics?.latestEvent(topic)) as EventEnvelope;
  expect(newest.seq).toBeGreaterThan(first.seq);
  return { watchers, topicName, first, newest, followOns: (stack.counts.followOn ?? 0) - followOnsBefore };
}

const updates = (client: { json: <T>() => T[] }, topic: string) =>
  client
    .json<Message>()
    .filter((m) => m.topic === topic && m.type === 'auction.updated')
    .map((m) => m.seq);

describe('fan-out follow-on waves', () => {
  it('sends the newer state right after its wave, from the same invocation, in order', async () => {
    const { watchers, topicName, first, newest, followOns } = await waveWithABidDuringIt(60_000);
    for (const client of watchers) {
      await waitFor(() => updates(client, topicName).at(-1) === newest.seq, 5_000, 'the follow-on wave');
      expect(updates(client, topicName)).toEqual([first.seq, newest.seq]);
    }
    expect(followOns).toBe(1);
    await Promise.all(watchers.map((client) => client.close()));
  });

  it('leaves the newer state to the next invocation when too little time is left for a wave', async () => {
    const { watchers, topicName, first, followOns } = await waveWithABidDuringIt(
      FANOUT_FOLLOW_ON_RESERVE_MS - 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const client of watchers) expect(updates(client, topicName)).toEqual([first.seq]);
    expect(followOns).toBe(0);
    await Promise.all(watchers.map((client) => client.close()));
  });
});
