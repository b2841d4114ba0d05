import { ConflictError, IdempotencyKeyReusedError, RateLimitedError } from '../domain/errors.js';
import { type OrderView, toOrderView } from '../domain/product.js';
import { type FlashSaleDeps, publishProductEvents } from './flash-sale-use-cases.js';
import { applyParkedPayments } from './receive-payment.js';
import { missingProductError } from './recover-product.js';
import { underUserRules } from './user-requests.js';

export interface ReserveOrderInput {
  productId: string;
  userId: string;
  qty: number;
  idempotency: { key: string; fingerprint: string } | null;
}

/**
 * One reservation: the deciding script applies every rule atomically; this use case only translates
 * its decision. A replayed Idempotency-Key yields the stored decision, which renders to the same body.
 * The user-wide rate limit and key claim come first (see user-requests.ts).
 */
export function reserveOrder(deps: FlashSaleDeps, input: ReserveOrderInput): Promise<OrderView> {
  return underUserRules(deps.claims, input.userId, input.idempotency, (admitMiss) =>
    decideReservation(deps, input, admitMiss),
  );
}

async function decideReservation(
  deps: FlashSaleDeps,
  input: ReserveOrderInput,
  admitMiss: () => Promise<void>,
): Promise<OrderView> {
  const outcome = await deps.products.reserve({
    ...input,
    orderId: deps.products.newOrderId(input.productId),
  });
  if (!outcome.replayed) await publishProductEvents(deps, outcome.events);
  if (outcome.ok) {
    if (outcome.pendingPayments && !outcome.replayed) {
      await applyParkedPayments(deps, outcome.order.id, input.productId);
    }
    return toOrderView(outcome.order, outcome.now);
  }
  switch (outcome.code) {
    case 'product_not_found':
    case 'product_unavailable':
      // Telling unknown from lost costs PostgreSQL: counted toward the user's limit first.
      await admitMiss();
      throw await missingProductError(deps, input.productId);
    case 'idempotency_key_reused':
      throw new IdempotencyKeyReusedError();
    case 'rate_limited':
      throw new RateLimitedError(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)));
    case 'sale_not_active':
      throw new ConflictError('sale_not_active', 'the sale of this product is not active');
    case 'limit_exceeded':
      throw new ConflictError(
        'limit_exceeded',
        `at most ${outcome.limit} per customer; you already hold ${outcome.purchased}`,
        { limit: outcome.limit, purchased: outcome.purchased },
      );
    case 'sold_out':
      throw new ConflictError(
        'sold_out',
        outcome.available === 0 ? 'sold out' : `only ${outcome.available} left`,
        { available: outcome.available },
      );
  }
}
