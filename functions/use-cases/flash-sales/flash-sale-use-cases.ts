import type { EventEnvelope } from '../../domain/events.js';
import type { EventPublisher } from '../../ports/event-publisher.js';
import type { IdempotencyClaims } from '../../ports/idempotency-claims.js';
import type { LogSink } from '../../ports/logger.js';
import type { ProductArchive } from '../../ports/product-archive.js';
import type { ProductStore } from '../../ports/product-store.js';
import { publishEvents } from '../shared/publish-events.js';
import type { SoldOutMemo } from './sold-out-memo.js';

/** What the flash-sale use cases need; wired once per cold start. */
export interface FlashSaleDeps {
  products: ProductStore;
  archive: ProductArchive;
  publisher: EventPublisher;
  claims: IdempotencyClaims;
  logger: LogSink;
  /** The HTTP function's memory of products Redis just answered sold out for (absent elsewhere). */
  soldOut?: SoldOutMemo;
}

/** Publishes what a product step emitted (also on refusals: an expiry may have happened on the way). */
export async function publishProductEvents(
  deps: Pick<FlashSaleDeps, 'products' | 'publisher' | 'logger'>,
  events: readonly EventEnvelope[],
): Promise<void> {
  if (events.length === 0) return;
  await publishEvents({ publisher: deps.publisher, outbox: deps.products, logger: deps.logger }, events);
}
