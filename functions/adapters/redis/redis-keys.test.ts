import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keySlot } from './order-ids.js';
import {
  auctionKeys,
  connectionKeys,
  idempotencyClaimKey,
  keyPart,
  orderKeys,
  outboxKeyOf,
  outboxMember,
  productKeys,
  topicKeys,
} from './redis-keys.js';

const printable = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
});
const anyText = fc.oneof(
  printable,
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(':', '%3A', '{', '}'),
  // Few letters and many separators: collisions of a naive join show up within a few runs.
  fc.string({ unit: fc.constantFrom('a', ':', '%', '3', 'A', '{', '}'), maxLength: 6 }),
);

describe('redis key names', () => {
  it('keeps the two users of issue 19 apart (sub with ":")', () => {
    expect(productKeys('p1').idempotency('alice:k1', 'x')).not.toBe(
      productKeys('p1').idempotency('alice', 'k1:x'),
    );
    expect(auctionKeys('a1').idempotency('alice:k1', 'x')).not.toBe(
      auctionKeys('a1').idempotency('alice', 'k1:x'),
    );
    expect(idempotencyClaimKey('alice:k1', 'x')).not.toBe(idempotencyClaimKey('alice', 'k1:x'));
    expect(productKeys('p1').idempotency('alice:k1', 'x')).toBe('{p:p1}:idem:alice%3Ak1:x');
  });

  it('leaves ids of the API and ordinary user ids as they were', () => {
    expect(auctionKeys('A_z-9').state).toBe('{a:A_z-9}');
    expect(productKeys('p-1').rateLimit('user-1')).toBe('{p:p-1}:rl:user-1');
    expect(idempotencyClaimKey('bob', 'key-1')).toBe('idem:{u:bob}:key-1');
    expect(topicKeys('auction:A1').conns).toBe('{t:auction:A1}:conns');
    expect(orderKeys('01ABC').pointer).toBe('{o:01ABC}');
    expect(outboxKeyOf(outboxMember('auction', 'A1'))).toBe(auctionKeys('A1').outbox);
  });

  it('is injective: different (user, key) pairs never share a key, on every composite key', () => {
    // Pairs whose naive `USER:KEY` join is the same string: split one text at two of its colons.
    const sameJoin = fc
      .tuple(fc.array(anyText, { minLength: 2, maxLength: 5 }), fc.nat(), fc.nat())
      .map(([segments, i, j]) => {
        const at = (n: number) => (n % (segments.length - 1)) + 1;
        const split = (n: number): [string, string] => [
          segments.slice(0, at(n)).join(':'),
          segments.slice(at(n)).join(':'),
        ];
        return [split(i), split(j)] as const;
      });
    fc.assert(
      fc.property(sameJoin, ([[user1, key1], [user2, key2]]) => {
        fc.pre(user1 !== user2 || key1 !== key2);
        expect(productKeys('p').idempotency(user1, key1)).not.toBe(productKeys('p').idempotency(user2, key2));
        expect(auctionKeys('a').idempotency(user1, key1)).not.toBe(auctionKeys('a').idempotency(user2, key2));
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(anyText, anyText, anyText, anyText, (user1, key1, user2, key2) => {
        fc.pre(user1 !== user2 || key1 !== key2);
        expect(productKeys('p').idempotency(user1, key1)).not.toBe(productKeys('p').idempotency(user2, key2));
        expect(auctionKeys('a').idempotency(user1, key1)).not.toBe(auctionKeys('a').idempotency(user2, key2));
        expect(idempotencyClaimKey(user1, key1)).not.toBe(idempotencyClaimKey(user2, key2));
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        fc.pre(a !== b);
        expect(keyPart(a)).not.toBe(keyPart(b));
        expect(connectionKeys(a).topics).not.toBe(connectionKeys(b).topics);
        expect(topicKeys(a).conns).not.toBe(topicKeys(b).conns);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never lets a part open or close a hash tag: every key of an entity keeps its slot', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (id, user, key) => {
        const part = keyPart(user);
        expect(part).not.toMatch(/[:{}]/);
        const auction = auctionKeys(id);
        for (const name of [
          auction.bids,
          auction.fence,
          auction.rateLimit(user),
          auction.idempotency(user, key),
        ]) {
          expect(keySlot(name)).toBe(keySlot(auction.state));
        }
        const product = productKeys(id);
        expect(keySlot(product.idempotency(user, key))).toBe(keySlot(product.state));
        expect(keySlot(idempotencyClaimKey(user, key))).toBe(keySlot(idempotencyClaimKey(user, 'other')));
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses a part that is not well-formed UTF-16 rather than writing a lossy key', () => {
    expect(() => keyPart('\ud800')).toThrow();
    expect(keyPart('é')).toBe('%C3%A9');
  });
});
