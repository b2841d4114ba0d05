import { describe, expect, it } from 'vitest';
import type { Topic } from '../functions/realtime/model.js';
import type {
  ClaimWaveResult,
  ConnectionMessenger,
  ConnectionRegistry,
  PostOutcome,
} from '../functions/realtime/ports.js';
import { type FanOutDeps, fanOut } from '../functions/realtime/use-cases/fan-out.js';
import { semaphore } from '../functions/realtime/use-cases/semaphore.js';
import { auctionEvent } from './support/auction-events.js';

const record = (event: unknown, messageId: string) => ({ messageId, body: JSON.stringify(event) });

function fakes(
  options: { connections?: string[]; outcome?: (id: string) => PostOutcome; busyFor?: number } = {},
) {
  const claims: { topic: string; seq: number }[] = [];
  const left: { topic: string; ids: readonly string[] }[] = [];
  const forgotten: string[] = [];
  const released: string[] = [];
  let busy = options.busyFor ?? 0;
  const registry = {
    claimWave: async (topic: Topic, seq: number): Promise<ClaimWaveResult> => {
      if (busy-- > 0) return { status: 'busy', pushed: 0 };
      claims.push({ topic: topic.name, seq });
      return { status: 'claimed', pushed: seq, connectionIds: options.connections ?? ['c1', 'c2', 'c3'] };
    },
    releaseWave: async (topic: Topic) => {
      released.push(topic.name);
    },
    unstartedParts: async () => null,
    leave: async (topic: Topic, ids: readonly string[]) => {
      left.push({ topic: topic.name, ids });
    },
    forget: async (id: string) => {
      forgotten.push(id);
    },
  } as unknown as ConnectionRegistry;
  const posts: { id: string; data: Uint8Array }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const messenger: ConnectionMessenger = {
    post: async (id, data) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      posts.push({ id, data });
      return options.outcome?.(id) ?? 'delivered';
    },
  };
  const counts: Record<string, number> = {};
  const errors: string[] = [];
  const deps: FanOutDeps = {
    registry,
    messenger,
    metrics: { count: (name, value) => (counts[name] = (counts[name] ?? 0) + value) },
    logger: { warn: () => undefined, error: (message) => errors.push(message) },
    concurrency: 4,
    leaseWaitMs: 200,
    sleep: () => new Promise((resolve) => setTimeout(resolve, 1)),
  };
  return {
    deps,
    claims,
    left,
    forgotten,
    released,
    posts,
    counts,
    errors,
    maxInFlight: () => maxInFlight,
  };
}

describe('fan-out handler', () => {
  it('conflates per topic: one wave with the newest state, one serialised payload for all', async () => {
    const f = fakes();
    const records = [
      record(auctionEvent('a1', 3), 'm1'),
      record(auctionEvent('a1', 5), 'm2'),
      record(auctionEvent('a1', 4), 'm3'),
      record(auctionEvent('a2', 7, 'auction.closed'), 'm4'),
    ];
    expect(await fanOut(f.deps, records)).toEqual({ batchItemFailures: [] });
    expect(f.claims).toEqual(
      expect.arrayContaining([
        { topic: 'auction:a1', seq: 5 },
        { topic: 'auction:a2', seq: 7 },
      ]),
    );
    expect(f.claims).toHaveLength(2);
    expect(f.counts).toMatchObject({ conflated: 2, waves: 2, delivered: 6 });
    const a1 = f.posts.filter((post) => JSON.parse(Buffer.from(post.data).toString()).topic === 'auction:a1');
    expect(new Set(a1.map((post) => post.data)).size).toBe(1); // the very same bytes for every receiver
    const message = JSON.parse(Buffer.from(a1[0]?.data as Uint8Array).toString());
    expect(message).toMatchObject({
      type: 'auction.updated',
      seq: 5,
      auction: { seq: 5, currentPrice: 105 },
    });
    expect(message.lastBid).toMatchObject({ id: 'b5', amount: 105 });
    const closed = f.posts.find(
      (post) => JSON.parse(Buffer.from(post.data).toString()).topic === 'auction:a2',
    );
    expect(JSON.parse(Buffer.from(closed?.data as Uint8Array).toString())).toMatchObject({
      type: 'auction.closed',
      seq: 7,
      auction: { status: 'closed' },
    });
    expect(f.released.sort()).toEqual(['auction:a1', 'auction:a2']);
  });

  it('reports unreadable records as failures (to the DLQ) and still pushes the rest', async () => {
    const f = fakes();
    const result = await fanOut(f.deps, [
      { messageId: 'bad-json', body: '{' },
      record({ ...auctionEvent('a1', 1), seq: -1 }, 'bad-seq'),
      record({ ...auctionEvent('a1', 2), payload: {} }, 'no-state'),
      record(auctionEvent('a1', 2), 'good'),
    ]);
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual([
      'bad-json',
      'bad-seq',
      'no-state',
    ]);
    expect(f.claims).toEqual([{ topic: 'auction:a1', seq: 2 }]);
  });

  it('keeps at most `concurrency` posts in flight', async () => {
    const f = fakes({ connections: Array.from({ length: 50 }, (_, i) => `c${i}`) });
    await fanOut(f.deps, [record(auctionEvent('a1', 1), 'm1'), record(auctionEvent('a2', 1), 'm2')]);
    expect(f.posts).toHaveLength(100);
    expect(f.maxInFlight()).toBe(4);
  });

  it('removes connections that answered 410 Gone, and counts delivered / gone / failed', async () => {
    const f = fakes({
      connections: ['live', 'gone-1', 'broken', 'gone-2'],
      outcome: (id) => (id.startsWith('gone') ? 'gone' : id === 'broken' ? 'failed' : 'delivered'),
    });
    expect(await fanOut(f.deps, [record(auctionEvent('a1', 1), 'm1')])).toEqual({ batchItemFailures: [] });
    expect(f.counts).toMatchObject({ delivered: 1, gone: 2, failed: 1 });
    expect(f.left).toEqual([{ topic: 'auction:a1', ids: ['gone-1', 'gone-2'] }]);
    expect(f.forgotten.sort()).toEqual(['gone-1', 'gone-2']);
  });

  it('waits for another wave of the same topic, and fails the records if it never ends', async () => {
    const waiting = fakes({ busyFor: 5 });
    expect(await fanOut(waiting.deps, [record(auctionEvent('a1', 1), 'm1')])).toEqual({
      batchItemFailures: [],
    });
    expect(waiting.claims).toHaveLength(1);

    const stuck = fakes({ busyFor: Number.POSITIVE_INFINITY });
    const result = await fanOut(stuck.deps, [
      record(auctionEvent('a1', 1), 'm1'),
      record(auctionEvent('a1', 2), 'm2'),
    ]);
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['m1', 'm2']);
    expect(stuck.errors).toHaveLength(1);
  });

  it('semaphore never runs more than its maximum at once', async () => {
    const limit = semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, i % 3));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});
