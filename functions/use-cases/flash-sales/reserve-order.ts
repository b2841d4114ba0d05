import { ConflictError, IdempotencyKeyReusedError, RateLimitedError } from '../../domain/errors.js';
import { type OrderView, toOrderView } from '../../domain/product.js';
import { rateLimited, underUserRules } from '../shared/user-requests.js';
import { type FlashSaleDeps, publishProductEvents } from './flash-sale-use-cases.js';
import { applyParkedPayments } from './receive-payment.js';
import { missingProductError } from './recover-product.js';
import type { RememberedSoldOut } from './sold-out-memo.js';

export interface ReserveOrderInput {
  productId: string;
  userId: string;
  qty: number;
  idempotency: { key: string; fingerprint: string } | null;
}

/**
 * One reservation: the deciding script applies every rule atomically; this use case only translates
 * its decision. A replayed Idempotency-Key yields the stored decision, which renders to the same body.
 * The user-wide rate limit and key claim come first (see user-requests.ts). A product this instance
 * remembers sold out (sold-out-memo.ts) is answered without its script.
 */
export function reserveOrder(deps: FlashSaleDeps, input: ReserveOrderInput): Promise<OrderView> {
  const remembered = deps.soldOut?.answerFor(input.productId, input.qty);
  if (remembered) return answerRemembered(deps, input, remembered);
  return underUserRules(
    deps.claims,
    input.userId,
    input.idempotency,
    (admitMiss) => decideReservation(deps, input, admitMiss),
    replaySoldOut,
  );
}

const soldOut = (available: number) =>
  new ConflictError('sold_out', available === 0 ? 'sold out' : `only ${available} left`, { available });

/** The decision bound to a key's claim when the memo answered (user-requests.ts replays it). */
const soldOutDecision = (available: number) => JSON.stringify({ code: 'sold_out', available });

async function replaySoldOut(decided: string): Promise<never> {
  const decision = JSON.parse(decided) as { code: string; available: number };
  if (decision.code !== 'sold_out') throw new Error(`reserveOrder: unknown bound decision ${decided}`);
  throw soldOut(decision.available);
}

/**
 * "Sold out" from the memo. With an Idempotency-Key the decision is bound to the key's user-wide
 * claim in the step that makes the claim, so every later request with the key replays it, even
 * once stock came back; a key already claimed by a request Redis decided goes to the script, which
 * replays that decision. Then the request counts toward the user's rate limit on the product, as
 * the script would count it: over the limit, 429 (a new key's bound "sold out" is what its retry
 * then hears, as a retry after a 429 would have been decided).
 */
async function answerRemembered(
  deps: FlashSaleDeps,
  input: ReserveOrderInput,
  remembered: RememberedSoldOut,
): Promise<OrderView> {
  if (input.idempotency) {
    const { key, fingerprint } = input.idempotency;
    const claim = await deps.claims.claim(
      input.userId,
      key,
      fingerprint,
      soldOutDecision(remembered.available),
    );
    if (claim.status === 'rate_limited') throw rateLimited(claim.retryAfterMs);
    if (claim.status === 'different') throw new IdempotencyKeyReusedError();
    if (claim.status === 'same') {
      if (claim.decided !== undefined) return replaySoldOut(claim.decided);
      // Claimed before, by a request the script decided: the script replays it. The product
      // exists (Redis said sold out), so a miss cannot happen here to count.
      return decideReservation(deps, input, async () => undefined);
    }
  }
  const retryAfterMs = await deps.products.countReservationRequest(input.productId, input.userId);
  if (retryAfterMs > 0) throw rateLimited(retryAfterMs);
  throw soldOut(remembered.available);
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
      if (!outcome.replayed) deps.soldOut?.remember(input.productId, outcome.available, outcome.saleEndsAt);
      throw soldOut(outcome.available);
  }
}
