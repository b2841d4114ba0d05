import { describe, expect, it } from 'vitest';
import { AccountBudget, accountBudgetFromEnv } from '../local-aws/account-budget.js';

describe('the local account budget (one token bucket for HTTP, WebSocket and management requests)', () => {
  it('allows the burst at once, then the rate, from every use alike, and counts what it refused', () => {
    let now = 0;
    const budget = new AccountBudget({ ratePerSecond: 1_000, burst: 50 }, () => now);
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
