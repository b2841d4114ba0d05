import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { createUlidGenerator, pooledRandom } from './ulid-generator.js';

describe('ulid generator', () => {
  it('makes unique, sortable ULIDs across many pool refills', () => {
    const newId = createUlidGenerator();
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Math.abs(decodeTime(ids[0] as string) - Date.now())).toBeLessThan(5_000);
  });

  it('draws values in [0, 1) that cover the byte range, across refills', () => {
    const random = pooledRandom();
    const seen = new Set<number>();
    for (let draw = 0; draw < 10_000; draw += 1) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      seen.add(value);
    }
    // 10,000 random bytes miss one of the 256 values with probability ~256 * e^-39.
    expect(seen.size).toBe(256);
  });
});
