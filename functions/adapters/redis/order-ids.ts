import { decodeTime } from 'ulid';
import { createUlidGenerator } from '../ulid-generator.js';
import { productKeys } from './redis-keys.js';

/**
 * Order ids that live in their product's Redis Cluster hash slot.
 *
 * Every order must be found by its id alone (GET /orders/{id}, cancel, the payment webhook), and
 * every script must touch one slot. An id that embeds the product id (`<ulid>-<productId>`) would
 * break the 64-character id limit for long product ids, and a global `order -> product` index would
 * live in another slot (an extra round trip on every reservation, and lost independently of the
 * product). Instead the id is a ULID plus three characters chosen so that the order's own hash tag
 * `{o:ORDERID}` falls into the same slot as `{p:PRODUCTID}`: the reservation script writes the
 * order's pointer key `{o:ORDERID} -> productId` in the same atomic step as the order, and a webhook
 * that arrives before the order is visible parks under `{o:ORDERID}:pending`, which the same script
 * sees. Redis Cluster checks slots, not tags, so these scripts stay single-slot; on a single Redis
 * it does not matter at all.
 *
 * The slot is CRC16-XMODEM(tag) mod 16384 (Redis Cluster spec). CRC16 with a zero initial value is
 * linear, so CRC(prefix || suffix) = CRC(prefix || 000) xor CRC(suffix): one table lookup finds the
 * suffix, no search.
 */

const SLOTS = 16_384;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

export function crc16(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The Redis Cluster slot of a key: the content of its first non-empty `{...}`, else the whole key. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % SLOTS;
  }
  return crc16(key) % SLOTS;
}

/**
 * For every slot (low 14 bits of a CRC), a 3-character suffix whose CRC has those bits; by linearity
 * CRC(abc) = CRC(a\0\0) xor CRC(b\0) xor CRC(c). Built on first use (~1 ms).
 */
let suffixByBits: string[] | undefined;
function suffixTable(): string[] {
  if (suffixByBits) return suffixByBits;
  const table: string[] = new Array(SLOTS);
  let filled = 0;
  const first = [...ALPHABET].map((a) => crc16(`${a}\0\0`));
  const second = [...ALPHABET].map((b) => crc16(`${b}\0`));
  const third = [...ALPHABET].map((c) => crc16(c));
  for (let a = 0; a < ALPHABET.length; a++) {
    for (let b = 0; b < ALPHABET.length; b++) {
      for (let c = 0; c < ALPHABET.length; c++) {
        const bits = ((first[a] as number) ^ (second[b] as number) ^ (third[c] as number)) % SLOTS;
        if (table[bits] === undefined) {
          table[bits] = `${ALPHABET[a]}${ALPHABET[b]}${ALPHABET[c]}`;
          filled++;
        }
      }
    }
  }
  if (filled !== SLOTS) throw new Error('order id suffix table is incomplete');
  suffixByBits = table;
  return table;
}

/** The slot of the product's tag, as redis-keys.ts names it. */
export const productSlot = (productId: string) => keySlot(productKeys(productId).state);

/** Monotonic, from a pooled PRNG (a crypto call per character was ~10% of a reservation's CPU). */
const nextUlid = createUlidGenerator();

/** A new order id (29 characters, time-sortable) whose tag `{o:ID}` shares the product's slot. */
export function newOrderId(productId: string, base: string = nextUlid()): string {
  // The order's tag is `{o:ID}` (redis-keys.ts); base and suffix are of the id alphabet, so unencoded.
  const prefixCrc = crc16(`o:${base}\0\0\0`);
  const wanted = (prefixCrc ^ productSlot(productId)) % SLOTS;
  return base + (suffixTable()[wanted] as string);
}

/**
 * When an order id was made (epoch ms), or null when it is not one this module makes (29 characters,
 * a ULID first). An order id is made just before its reservation script runs.
 */
export function orderIdTime(orderId: string): number | null {
  if (orderId.length !== 29) return null;
  try {
    return decodeTime(orderId.slice(0, 26));
  } catch {
    return null;
  }
}
