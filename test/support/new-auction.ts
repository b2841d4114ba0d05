import { ulid } from 'ulid';
import type { NewAuction } from '../../functions/ports/auction-store.js';

/** An open lot for the store and script tests: 10.00 start, 1.00 increment, ends in an hour. */
export const newAuction = (overrides: Partial<NewAuction> = {}): NewAuction => ({
  id: `t-${ulid()}`,
  title: 'Lot',
  sellerId: 'seller',
  startingPrice: 1_000,
  minIncrement: 100,
  reservePrice: null,
  startsAt: null,
  endsAt: Date.now() + 3_600_000,
  antiSnipe: null,
  ...overrides,
});
