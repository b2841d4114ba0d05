/**
 * Every key of one product carries the hash tag `{p:ID}`; an order's own keys carry `{o:ORDERID}`,
 * whose slot is the product's by construction of the order id (see order-ids.ts). So every product
 * script touches a single slot.
 */
export const productKeys = (productId: string) => {
  const tag = `{p:${productId}}`;
  return {
    state: tag,
    orders: `${tag}:orders`,
    held: `${tag}:held`,
    deadlines: `${tag}:deadlines`,
    events: `${tag}:events`,
    outbox: `${tag}:outbox`,
    payments: `${tag}:payments`,
    fence: `${tag}:fence`,
    recovering: `${tag}:recovering`,
    rateLimit: (userId: string) => `${tag}:rl:${userId}`,
    idempotency: (userId: string, key: string) => `${tag}:idem:${userId}:${key}`,
  };
};

/** The six keys every product script declares first, in this order (see product-prelude.lua). */
export const productCoreKeys = (productId: string): string[] => {
  const keys = productKeys(productId);
  return [keys.state, keys.orders, keys.held, keys.deadlines, keys.events, keys.outbox];
};

export const orderKeys = (orderId: string) => ({
  /** orderId -> productId, written by the reservation script. */
  pointer: `{o:${orderId}}`,
  /** Webhook events that arrived before the order was visible (hash eventId -> event JSON). */
  pending: `{o:${orderId}}:pending`,
});

/**
 * Products by the next time the sweeper should expire their reservations. Written before the create
 * script (intent first); the expiry script says when to come back, or that the sale is over.
 */
export const PRODUCTS_BY_NEXT_EXPIRY_KEY = 'products:by-next-expiry';

/** Orders with parked webhook events, by parking time: the sweeper retries them. Intent first too. */
export const PENDING_PAYMENTS_KEY = 'payments:pending';
