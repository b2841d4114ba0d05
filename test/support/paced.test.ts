import { describe, expect, it } from 'vitest';
import { atFixedPace } from './paced.js';

describe('atFixedPace', () => {
  it('starts step i at its due time, one lane in order, many lanes concurrently', async () => {
    const started: number[] = [];
    const t0 = performance.now();
    await atFixedPace({ total: 5, perSecond: 50 }, async (i, dueAt) => {
      started.push(i);
      expect(performance.now()).toBeGreaterThanOrEqual(dueAt);
      expect(dueAt - t0).toBeCloseTo(i * 20, -1);
    });
    expect(started).toEqual([0, 1, 2, 3, 4]);

    let inFlight = 0;
    let most = 0;
    await atFixedPace({ total: 20, perSecond: 1_000, lanes: 4 }, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight--;
    });
    expect(most).toBe(4);
  });

  it('never starts a step before its due time, though Node timers may fire up to ~1.5 ms early', async () => {
    // Node's timers count whole milliseconds: a timer set for a fractional wait often fires before
    // it (measured here: most of 300 short timers, by up to 1.5 ms). 200 steps 1.37 ms apart give
    // fractional due times; a pacer that trusts one timer starts many of them early.
    const early: number[] = [];
    await atFixedPace({ total: 200, perSecond: 730 }, async (_i, dueAt) => {
      const ahead = dueAt - performance.now();
      if (ahead > 0) early.push(ahead);
    });
    expect(early).toEqual([]);
  });

  it('keeps the due times after a stall: the steps behind it are late, not re-paced', async () => {
    const lateness: number[] = [];
    await atFixedPace({ total: 4, perSecond: 100 }, async (i, dueAt) => {
      lateness.push(performance.now() - dueAt);
      if (i === 0) await new Promise((resolve) => setTimeout(resolve, 60));
    });
    expect(lateness[1]).toBeGreaterThan(40);
    expect(lateness[3]).toBeGreaterThan(20);
  });
});
