import { parseAuctionRecord } from '../../../../domain/auction-record.js';
import type { EventEnvelope } from '../../../../domain/events.js';
import { formatIncrementTable, incrementAt } from '../../../../domain/increments.js';
import type { CreateAuctionOutcome, NewAuction } from '../../../../ports/auction-store.js';
import type { RedisClient } from '../../client.js';
import { deciding } from '../../lua-script.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './create-auction.lua';

const script = luaScript('createAuction', source);

export interface CreateAuctionArgs extends NewAuction {
  maxDurationMs: number;
  eventLogLength: number;
}

type RawReply =
  | { ok: true; now: number; state: Record<string, string>; event: EventEnvelope }
  | { ok: false; now: number; code: 'auction_exists' }
  | { ok: false; now: number; code: 'invalid_schedule'; field: string; message: string };

export async function runCreateAuction(
  redis: RedisClient,
  args: CreateAuctionArgs,
): Promise<CreateAuctionOutcome> {
  const keys = auctionKeys(args.id);
  const optional = (value: number | null | undefined) =>
    value === null || value === undefined ? '' : String(value);
  const input = {
    id: args.id,
    title: args.title,
    sellerId: args.sellerId,
    startingPrice: String(args.startingPrice),
    // With a table, minIncrement is the increment in force: the row of the starting price.
    minIncrement: String(
      args.incrementTable ? incrementAt(args.incrementTable, args.startingPrice) : args.minIncrement,
    ),
    reservePrice: optional(args.reservePrice),
    startsAt: optional(args.startsAt),
    endsAt: String(args.endsAt),
    antiWindow: optional(args.antiSnipe?.windowSeconds),
    antiExtend: optional(args.antiSnipe?.extendSeconds),
    antiMax: optional(args.antiSnipe?.maxExtensions),
    // Auction house (API.md v1.2): left out when not given, so a v1 record keeps its fields.
    ...(args.buyNowPrice != null ? { buyNowPrice: String(args.buyNowPrice) } : {}),
    ...(args.incrementTable ? { incrementTable: formatIncrementTable(args.incrementTable) } : {}),
  };
  const reply = await deciding(
    script.runJson<RawReply>(
      redis,
      [keys.state, keys.events, keys.outbox],
      [JSON.stringify(input), args.maxDurationMs, args.eventLogLength],
    ),
  );
  if (!reply.ok) return reply;
  return { ok: true, now: reply.now, state: parseAuctionRecord(reply.state), event: reply.event };
}
