import { InvalidRequestError } from './errors.js';

/**
 * Keyset pagination position: the sort key (epoch ms) and id of the last item of a page. The
 * cursor a client gets is opaque (base64url JSON) and names the listing it belongs to, so a cursor
 * of one listing is refused by another instead of silently skipping items.
 */
export interface SortKey {
  at: number;
  id: string;
}

/** PostgreSQL timestamptz and JS Date both hold [0, 8.64e15] ms; anything else cannot be a position. */
const MAX_AT = 8.64e15;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_CURSOR_LENGTH = 256;

export function encodeCursor(listing: string, key: SortKey): string {
  return Buffer.from(JSON.stringify([listing, key.at, key.id]), 'utf8').toString('base64url');
}

const invalid = () =>
  new InvalidRequestError('cursor: must be a `next` value of this listing', { field: 'cursor' });

export function decodeCursor(listing: string, cursor: string): SortKey {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 3) throw invalid();
  const [name, at, id] = value as unknown[];
  if (name !== listing) throw invalid();
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0 || at > MAX_AT) throw invalid();
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw invalid();
  return { at, id };
}
