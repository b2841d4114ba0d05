import type { ProductEventPayload } from '../../../../domain/events.js';
import { parseOrderRecord, parseProductRecord } from '../../../../domain/product-record.js';
import type { ReserveCommand, ReserveOutcome } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { deciding, RUN_KEPT_SECONDS } from '../../lua-script.js';
import { orderKeys, productCoreKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import type { RawStep } from './product-step.js';
import source from './reserve-order.lua';

export const reserveOrderScript = luaScript('reserveOrder', source);

export interface ReserveOrderArgs extends ReserveCommand {
  rateLimit: { max: number; windowMs: number };
  eventLogLength: number;
  idempotencyTtlSeconds: number;
  expireBatch: number;
}

type RawReply = RawStep<
  { replayed?: boolean } & (
    | { ok: true; pendingPayments: boolean }
    | { ok: false; code: 'product_not_found' | 'product_unavailable' | 'idempotency_key_reused' }
    | { ok: false; code: 'rate_limited'; retryAfterMs: number }
    | { ok: false; code: 'sale_not_active' }
    | { ok: false; code: 'limit_exceeded'; limit: number; purchased: number }
    | { ok: false; code: 'sold_out'; available: number; saleEndsAt?: number }
  )
>;

/** A never-written key of the same slot stands in for the idempotency key when the request has none. */
const NO_IDEMPOTENCY_KEY = '-';

export async function runReserveOrder(redis: RedisClient, args: ReserveOrderArgs): Promise<ReserveOutcome> {
  const keys = productKeys(args.productId);
  const order = orderKeys(args.orderId);
  const raw = await deciding(
    reserveOrderScript.runJson<RawReply>(
      redis,
      [
        ...productCoreKeys(args.productId),
        keys.rateLimit(args.userId),
        keys.idempotency(args.userId, args.idempotency?.key ?? NO_IDEMPOTENCY_KEY),
        keys.fence,
        order.pointer,
        order.pending,
        keys.run(args.orderId),
      ],
      [
        args.userId,
        args.qty,
        args.orderId,
        args.idempotency?.fingerprint ?? '',
        args.rateLimit.max,
        args.rateLimit.windowMs,
        args.eventLogLength,
        args.idempotencyTtlSeconds,
        args.expireBatch,
        args.idempotency?.key ?? '',
        RUN_KEPT_SECONDS,
      ],
    ),
  );
  const common = { now: raw.now, events: raw.events, replayed: raw.replayed === true };
  if (raw.ok) {
    const payload = raw.events.at(-1)?.payload as ProductEventPayload | undefined;
    if (!payload?.order) throw new Error('reserveOrder: accepted without an order.reserved event');
    return {
      ...common,
      ok: true,
      product: parseProductRecord(payload.product),
      order: parseOrderRecord(payload.order),
      pendingPayments: raw.pendingPayments,
    };
  }
  const { replayed: _, ...refusal } = raw;
  if (refusal.code === 'sold_out') {
    return { ...refusal, saleEndsAt: refusal.saleEndsAt ?? null, replayed: common.replayed };
  }
  return { ...refusal, replayed: common.replayed };
}
