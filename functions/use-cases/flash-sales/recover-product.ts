import { NotFoundError, UnavailableError } from '../../domain/errors.js';
import type { FlashSaleDeps } from './flash-sale-use-cases.js';

/** Seconds a client waits before retrying a product that is being rebuilt. */
export const RECOVERY_RETRY_AFTER_SECONDS = 5;

/** Recovery attempts per product are at least this far apart (each costs PostgreSQL queries). */
export const RECOVERY_ATTEMPT_INTERVAL_MS = 1_000;

export type RecoveryState = 'unknown' | 'present' | 'fenced' | 'restored';

/**
 * Guarantee 5 (ARCHITECTURE.md): a product that Redis does not know is either unknown (PostgreSQL
 * never heard of it: 404) or lost. A lost product is fenced at once, so every script answers
 * product_unavailable (503 + Retry-After) and the id cannot be created anew; it is rebuilt only once
 * the archive says that nothing sent for it before the fence can still arrive, from a snapshot read
 * after that, so the rebuilt stock reflects every accepted reservation and payment.
 */
export async function recoverProduct(
  deps: Pick<FlashSaleDeps, 'products' | 'archive'>,
  productId: string,
): Promise<RecoveryState> {
  if ((await deps.archive.find(productId)) === null) return 'unknown';
  const fence = await deps.products.fence(productId);
  if (fence.exists) return 'present';
  if (fence.outboxPending > 0) return 'fenced';
  if (!(await deps.products.claimRecoveryAttempt(productId, RECOVERY_ATTEMPT_INTERVAL_MS))) return 'fenced';
  if (!(await deps.archive.settled(productId, fence.since))) return 'fenced';
  const snapshot = await deps.archive.find(productId);
  if (snapshot === null) return 'fenced';
  return (await deps.products.restore(snapshot)) ? 'restored' : 'present';
}

export const productUnavailable = (productId: string, retryAfterSeconds = RECOVERY_RETRY_AFTER_SECONDS) =>
  new UnavailableError(
    'product_unavailable',
    `product ${productId} is being restored, retry shortly`,
    retryAfterSeconds,
  );

export const productNotFound = (productId: string) =>
  new NotFoundError('product_not_found', `product ${productId} does not exist`);

/**
 * Brings back a product a script did not find, or throws: 404 when PostgreSQL never heard of it,
 * 503 + Retry-After while it is fenced. Returns once Redis has it again (the caller retries).
 */
export async function ensureProduct(
  deps: Pick<FlashSaleDeps, 'products' | 'archive'>,
  productId: string,
): Promise<void> {
  const state = await recoverProduct(deps, productId);
  if (state === 'unknown') throw productNotFound(productId);
  if (state === 'fenced') throw productUnavailable(productId);
}

/** The error for a product a script did not find: 404 if it never existed, else 503 while it is rebuilt. */
export async function missingProductError(
  deps: Pick<FlashSaleDeps, 'products' | 'archive'>,
  productId: string,
): Promise<Error> {
  const state = await recoverProduct(deps, productId);
  if (state === 'unknown') return productNotFound(productId);
  return productUnavailable(productId, state === 'fenced' ? RECOVERY_RETRY_AFTER_SECONDS : 1);
}
