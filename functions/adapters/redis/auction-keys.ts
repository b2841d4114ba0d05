/** Every key of one auction carries the hash tag `{a:ID}`, so its scripts touch a single slot. */
export const auctionKeys = (auctionId: string) => {
  const tag = `{a:${auctionId}}`;
  return {
    state: tag,
    bids: `${tag}:bids`,
    events: `${tag}:events`,
    outbox: `${tag}:outbox`,
    rateLimit: (userId: string) => `${tag}:rl:${userId}`,
    idempotency: (userId: string, key: string) => `${tag}:idem:${userId}:${key}`,
  };
};

/** Auctions by end time; the sweeper closes from it. Written before the create script (intent first). */
export const AUCTIONS_BY_END_KEY = 'auctions:by-end';
