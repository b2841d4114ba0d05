import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AccountBudget, accountBudgetFromEnv } from './account-budget.js';

describe('the local account budget (one token bucket for HTTP, WebSocket and management requests)', () => {
  it('allows the burst at once, then the rate, from every use alike, and counts what it refused', () => {
    let now = 0;
    const budget = new AccountBudget({ ratePerSecond: 1_000, burst: 50 }, { now: () => now });
    const uses = ['http', 'message', 'management', 'connect'] as const;
    let allowed = 0;
    for (let n = 0; n < 100; n++) if (budget.take(uses[n % 4] as (typeof uses)[number])) allowed++;
    expect(allowed).toBe(50);
    now += 10; // 10 ms at 1,000/s: 10 more
    for (let n = 0; n < 30; n++) if (budget.take('management')) allowed++;
    expect(allowed).toBe(60);
    const stats = budget.stats();
    expect(stats.taken.http + stats.taken.message + stats.taken.management + stats.taken.connect).toBe(60);
    expect(stats.throttled.management).toBeGreaterThan(20);
    expect(Object.values(stats.throttled).reduce((a, b) => a + b, 0)).toBe(70);
  });

  it('is one budget across threads: a worker attached to the same memory takes from the same bucket', async () => {
    const budget = new AccountBudget({ ratePerSecond: 1, burst: 1_000 });
    // The worker runs the real module (tsx in the worker, as vitest's transform does not reach it).
    const worker = new Worker(new URL('./account-budget-worker.ts', import.meta.url), {
      execArgv: ['--import', 'tsx'],
      workerData: { memory: budget.memory, options: budget.options, attempts: 700 },
    });
    let here = 0;
    for (let n = 0; n < 700; n++) if (budget.take('http')) here++;
    const there = await new Promise<number>((resolve) => worker.once('message', resolve));
    await worker.terminate();
    // 1,000 tokens (and at most a few refilled) shared by 1,400 attempts from two threads.
    expect(here + there).toBeGreaterThanOrEqual(1_000);
    expect(here + there).toBeLessThanOrEqual(1_005);
    const attached = new AccountBudget(budget.options, { memory: budget.memory });
    expect(attached.stats().taken.http).toBe(here);
    expect(attached.stats().taken.message).toBe(there);
    expect(attached.take('management')).toBe(false);
  });

  it('reads LOCAL_ACCOUNT_RPS / LOCAL_ACCOUNT_BURST, defaults to AWS (10,000/s, burst 5,000), 0 = unlimited', () => {
    expect(accountBudgetFromEnv({}).options).toEqual({ ratePerSecond: 10_000, burst: 5_000 });
    expect(accountBudgetFromEnv({ LOCAL_ACCOUNT_RPS: '200', LOCAL_ACCOUNT_BURST: '20' }).options).toEqual({
      ratePerSecond: 200,
      burst: 20,
    });
    const unlimited = accountBudgetFromEnv({ LOCAL_ACCOUNT_RPS: '0' });
    for (let n = 0; n < 20_000; n++) expect(unlimited.take('http')).toBe(true);
    expect(() => accountBudgetFromEnv({ LOCAL_ACCOUNT_RPS: 'fast' })).toThrow(/LOCAL_ACCOUNT_RPS/);
    expect(() => accountBudgetFromEnv({ LOCAL_ACCOUNT_BURST: '-1' })).toThrow(/LOCAL_ACCOUNT_BURST/);
  });
});
