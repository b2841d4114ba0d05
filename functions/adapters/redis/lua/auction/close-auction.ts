import type { AuctionState } from '../../../../domain/auction.js';
import { parseAuctionRecord } from '../../../../domain/auction-record.js';
import type { EventEnvelope } from '../../../../domain/events.js';
import type { RedisClient } from '../../client.js';
import { deciding } from '../../lua-script.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './close-auction.lua';

const script = luaScript('closeAuction', source);

export type CloseAuctionOutcome = { now: number } & (
  | { ok: true; state: AuctionState; event: EventEnvelope }
  | { ok: false; code: 'auction_not_found' }
  | { ok: false; code: 'already_closed'; state: AuctionState }
  | { ok: false; code: 'not_ended'; endsAt: number }
);

type RawReply = { now: number } & (
  | { ok: true; state: Record<string, string>; event: EventEnvelope }
  | { ok: false; code: 'auction_not_found' }
  | { ok: false; code: 'already_closed'; state: Record<string, string> }
  | { ok: false; code: 'not_ended'; endsAt: string }
);

export async function runCloseAuction(
  redis: RedisClient,
  auctionId: string,
  eventLogLength: number,
): Promise<CloseAuctionOutcome> {
  const keys = auctionKeys(auctionId);
  const raw = await deciding(
    script.runJson<RawReply>(redis, [keys.state, keys.events, keys.outbox], [eventLogLength]),
  );
  if (raw.ok) return { ok: true, now: raw.now, state: parseAuctionRecord(raw.state), event: raw.event };
  switch (raw.code) {
    case 'auction_not_found':
      return raw;
    case 'already_closed':
      return { ...raw, state: parseAuctionRecord(raw.state) };
    case 'not_ended':
      return { ...raw, endsAt: Number(raw.endsAt) };
  }
}
