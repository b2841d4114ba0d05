import { parseAuctionRecord } from '../../../../domain/auction-record.js';
import type { EventEnvelope } from '../../../../domain/events.js';
import type { SellerCloseCommand, SellerCloseOutcome } from '../../../../ports/auction-store.js';
import type { RedisClient } from '../../client.js';
import { deciding, RUN_KEPT_SECONDS } from '../../lua-script.js';
import { auctionKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './seller-close.lua';

const script = luaScript('sellerClose', source);

type RawReply = { now: number } & (
  | { ok: true; events: EventEnvelope<{ state: Record<string, string> }>[] }
  | { ok: false; code: 'auction_not_found' | 'forbidden' | 'auction_closed' }
);

export async function runSellerClose(
  redis: RedisClient,
  command: SellerCloseCommand,
  eventLogLength: number,
): Promise<SellerCloseOutcome> {
  const keys = auctionKeys(command.auctionId);
  const raw = await deciding(
    script.runJson<RawReply>(
      redis,
      [keys.state, keys.events, keys.outbox, keys.run(command.requestId)],
      [
        command.sellerId,
        command.action,
        command.action === 'cancel' ? command.reason : '',
        eventLogLength,
        RUN_KEPT_SECONDS,
      ],
    ),
  );
  if (!raw.ok) return raw;
  const event = raw.events[0] as EventEnvelope<{ state: Record<string, string> }>;
  return { ok: true, now: raw.now, state: parseAuctionRecord(event.payload.state), event };
}
