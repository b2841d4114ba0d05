import { toAuctionView } from '../../domain/auction.js';
import type { EventEnvelope } from '../../domain/events.js';
import { toProductView } from '../../domain/product.js';
import type { Topic } from '../../realtime/model.js';
import { type TopicReader, type TopicSnapshot, TopicUnavailableError } from '../../realtime/ports.js';
import type { RedisClient } from './client.js';
import { runReadAuction } from './lua/auction/read-auction.js';
import { runReadProduct } from './lua/flash-sale/read-product.js';
import { auctionKeys, productKeys } from './redis-keys.js';

/** Snapshots and newest events of auctions and products, read from their deciding store. */
export class RedisTopicReader implements TopicReader {
  constructor(private readonly redis: RedisClient) {}

  async snapshot(topic: Topic): Promise<TopicSnapshot | null> {
    if (topic.kind === 'auction') {
      const { now, state } = await runReadAuction(this.redis, topic.id);
      if (!state) return null;
      const snapshot = toAuctionView(state, now);
      return {
        seq: snapshot.seq,
        message: { type: 'subscribed', topic: topic.name, seq: snapshot.seq, snapshot },
      };
    }
    const { product, fenced } = await runReadProduct(this.redis, topic.id);
    if (!product) {
      if (fenced) throw new TopicUnavailableError(`product ${topic.id} is being rebuilt`);
      return null;
    }
    const snapshot = toProductView(product);
    return {
      seq: snapshot.seq,
      message: { type: 'subscribed', topic: topic.name, seq: snapshot.seq, snapshot },
    };
  }

  async latestEvent(topic: Topic): Promise<EventEnvelope | null> {
    const key = topic.kind === 'auction' ? auctionKeys(topic.id).events : productKeys(topic.id).events;
    const [newest] = await this.redis.zrevrange(key, 0, 0);
    return newest ? (JSON.parse(newest) as EventEnvelope) : null;
  }
}
