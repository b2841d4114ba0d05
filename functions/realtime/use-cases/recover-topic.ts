import { toAuctionView } from '../../domain/auction.js';
import type { EventEnvelope } from '../../domain/events.js';
import type { ProductArchive } from '../../ports/product-archive.js';
import type { ProductStore } from '../../ports/product-store.js';
import { type AuctionRecoveryDeps, recoverAuction } from '../../use-cases/auctions/recover-auction.js';
import { recoverProduct } from '../../use-cases/flash-sales/recover-product.js';
import type { Topic } from '../model.js';
import { type TopicReader, type TopicSnapshot, TopicUnavailableError } from '../ports.js';

export interface TopicRecoveryDeps {
  auctions?: AuctionRecoveryDeps | undefined;
  products?: { products: ProductStore; archive: ProductArchive } | undefined;
}

/**
 * Guarantee 5 for subscriptions: a topic whose entity Redis does not hold is `*_not_found` only when
 * PostgreSQL never heard of it either. A closed auction is served from PostgreSQL (final); a lost
 * live entity is fenced (and rebuilt, as an HTTP read would, when the archive can tell it settled),
 * answering `temporarily_unavailable` meanwhile. Without an archive the reader is used as it is.
 */
export function recoveringTopicReader(reader: TopicReader, deps: TopicRecoveryDeps): TopicReader {
  const lost = async (topic: Topic): Promise<TopicSnapshot | null> => {
    const unavailable = () => new TopicUnavailableError(`${topic.name} is being restored`);
    if (topic.kind === 'auction') {
      if (!deps.auctions) return null;
      const recovery = await recoverAuction(deps.auctions, topic.id);
      if (recovery.kind === 'unknown') return null;
      if (recovery.kind === 'fenced') throw unavailable();
      if (recovery.kind === 'archived') {
        const snapshot = toAuctionView(recovery.state, Date.now());
        return {
          seq: snapshot.seq,
          message: { type: 'subscribed', topic: topic.name, seq: snapshot.seq, snapshot },
        };
      }
    } else {
      if (!deps.products) return null;
      const state = await recoverProduct(deps.products, topic.id);
      if (state === 'unknown') return null;
      if (state === 'fenced') throw unavailable();
    }
    // Back in Redis (rebuilt just now, or by someone else meanwhile): read it there.
    const again = await reader.snapshot(topic);
    if (!again) throw unavailable();
    return again;
  };
  return {
    async snapshot(topic: Topic): Promise<TopicSnapshot | null> {
      return (await reader.snapshot(topic)) ?? lost(topic);
    },
    latestEvent(topic: Topic): Promise<EventEnvelope | null> {
      return reader.latestEvent(topic);
    },
  };
}
