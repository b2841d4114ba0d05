import { describe, expect, it } from 'vitest';
import { SoldOutMemo } from './sold-out-memo.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('SoldOutMemo', () => {
  it('answers a reservation of more units than were left, for ttlMs after Redis said sold out', () => {
    const time = clock();
    const memo = new SoldOutMemo(500, time.now);
    expect(memo.answerFor('p1', 1)).toBeUndefined();
    memo.remember('p1', 0);
    expect(memo.answerFor('p1', 1)).toEqual({ available: 0 });
    time.advance(499);
    expect(memo.answerFor('p1', 3)).toEqual({ available: 0 });
    time.advance(1);
    expect(memo.answerFor('p1', 1)).toBeUndefined();
    expect(memo.answerFor('p2', 1)).toBeUndefined();
  });

  it('does not answer a request the units then left could serve', () => {
    const memo = new SoldOutMemo(500, clock().now);
    memo.remember('p1', 2);
    expect(memo.answerFor('p1', 2)).toBeUndefined();
    expect(memo.answerFor('p1', 3)).toEqual({ available: 2 });
  });

  it('ends an entry at the sale’s end, and forgets a product at once on a cancel through this instance', () => {
    const time = clock();
    const memo = new SoldOutMemo(500, time.now);
    memo.remember('ending', 0, time.now() + 100);
    memo.remember('over', 0, time.now());
    memo.remember('cancelled', 0);
    expect(memo.answerFor('over', 1)).toBeUndefined();
    memo.forget('cancelled');
    expect(memo.answerFor('cancelled', 1)).toBeUndefined();
    time.advance(99);
    expect(memo.answerFor('ending', 1)).toEqual({ available: 0 });
    time.advance(1);
    expect(memo.answerFor('ending', 1)).toBeUndefined();
  });

  it('is off with ttlMs 0 and keeps a bounded number of products', () => {
    const off = new SoldOutMemo(0, clock().now);
    off.remember('p1', 0);
    expect(off.answerFor('p1', 1)).toBeUndefined();
    const memo = new SoldOutMemo(500, clock().now);
    for (let i = 0; i <= 1_000; i++) memo.remember(`p${i}`, 0);
    expect(memo.answerFor('p0', 1)).toBeUndefined();
    expect(memo.answerFor('p1', 1)).toEqual({ available: 0 });
    expect(memo.answerFor('p1000', 1)).toEqual({ available: 0 });
  });
});
