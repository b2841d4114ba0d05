import { describe, expect, it } from 'vitest';
import { MeFeed } from '../client/src/me-feed.js';

/** The me feed's ordering on its own (a pure unit: the socket and the route are stand-ins). */
function harness(stored: number[]) {
  const sent: string[] = [];
  const delivered: number[] = [];
  const lists: number[] = [];
  let failNext = 0;
  const feed = new MeFeed<{ seq: number }>({
    send: (message) => {
      sent.push(`${message.action} ${message.topic}`);
      return true;
    },
    list: async (since) => {
      lists.push(since);
      if (failNext > 0) {
        failNext--;
        throw new Error('route down');
      }
      const after = stored.filter((seq) => seq > since);
      return {
        notifications: after.slice(0, 2).map((seq) => ({ seq })),
        next: after.length > 2 ? (after[1] ?? null) : null,
      };
    },
    reportCatchUpFailure: () => undefined,
    backoff: () => 1,
  });
  return { feed, sent, delivered, lists, failOnce: () => (failNext = 1) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('MeFeed: each notification once, in order', () => {
  it('starts at the server seq, delivers pushes in order, catches up a gap through the route', async () => {
    const h = harness([1, 2, 3, 4, 5, 6]);
    h.feed.subscribe((n) => h.delivered.push(n.seq));
    expect(h.sent).toEqual(['subscribe me']);
    h.feed.onNotification({ seq: 3 }); // before subscribed: held
    h.feed.onSubscribed(2);
    h.feed.onNotification({ seq: 3 }); // a duplicate
    h.feed.onNotification({ seq: 6 }); // 4 and 5 lost
    await settle();
    h.feed.onNotification({ seq: 5 }); // late, already delivered
    expect(h.delivered).toEqual([3, 4, 5, 6]);
    expect(h.lists).toEqual([3, 5]);
  });

  it('after a reconnect, fetches what was missed and holds pushes meanwhile; a failed fetch is retried', async () => {
    const stored = [1, 2];
    const h = harness(stored);
    h.feed.subscribe((n) => h.delivered.push(n.seq), { since: 0 });
    h.failOnce();
    h.feed.onSubscribed(2);
    await settle();
    expect(h.delivered).toEqual([1, 2]);
    stored.push(3, 4, 5); // committed while the socket was away
    h.feed.onOpen(); // the socket came back
    expect(h.sent).toEqual(['subscribe me', 'subscribe me']);
    h.feed.onSubscribed(5);
    h.feed.onNotification({ seq: 5 });
    await settle();
    expect(h.delivered).toEqual([1, 2, 3, 4, 5]);
  });

  it('the last listener gone unsubscribes; nothing is delivered after', async () => {
    const h = harness([1]);
    const stop = h.feed.subscribe((n) => h.delivered.push(n.seq));
    h.feed.onSubscribed(0);
    stop();
    h.feed.onNotification({ seq: 1 });
    expect(h.sent).toEqual(['subscribe me', 'unsubscribe me']);
    expect(h.delivered).toEqual([]);
  });
});
