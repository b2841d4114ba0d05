import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { NoProductArchive } from '../../functions/adapters/no-product-archive.js';
import { RedisIdempotencyClaims } from '../../functions/adapters/redis/redis-idempotency-claims.js';
import { RedisProductStore } from '../../functions/adapters/redis/redis-product-store.js';
import { SqsEventPublisher } from '../../functions/adapters/sqs/sqs-event-publisher.js';
import type { EventEnvelope } from '../../functions/domain/events.js';
import type { OrderView, ProductView } from '../../functions/domain/product.js';
import type { ProductArchive } from '../../functions/ports/product-archive.js';
import type { FlashSaleDeps } from '../../functions/use-cases/flash-sales/flash-sale-use-cases.js';
import { type HttpFixture, quietLogger } from './http-fixture.js';
import { signedWebhookHeaders } from './webhooks.js';

/** The flash-sale dependencies as a sweeper would compose them, on the fixture's Redis and queues. */
export function flashSaleDeps(
  fx: HttpFixture,
  overrides: { products?: RedisProductStore; archive?: ProductArchive } = {},
): FlashSaleDeps {
  return {
    products: overrides.products ?? new RedisProductStore(fx.redis),
    archive: overrides.archive ?? new NoProductArchive(),
    publisher: new SqsEventPublisher(
      fx.sqs,
      { persistQueueUrl: fx.persistQueueUrl, fanoutQueueUrl: fx.fanoutQueueUrl },
      0,
    ),
    claims: new RedisIdempotencyClaims(fx.redis),
    logger: quietLogger,
  };
}

export type ErrorBody = { error: { code: string; message: string; [detail: string]: unknown } };

export async function createProduct(
  fx: HttpFixture,
  body: Record<string, unknown> = {},
): Promise<ProductView> {
  const response = await fx.request('/products', {
    method: 'POST',
    token: fx.adminToken,
    body: { name: 'Limited sneaker', price: 12_000, stock: 10, ...body },
  });
  const json = (await response.json()) as { product: ProductView };
  if (response.status !== 201)
    throw new Error(`create product failed: ${response.status} ${JSON.stringify(json)}`);
  return json.product;
}

export async function readProduct(fx: HttpFixture, productId: string): Promise<ProductView> {
  return ((await (await fx.request(`/products/${productId}`)).json()) as { product: ProductView }).product;
}

export function postOrder(
  fx: HttpFixture,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> | Response {
  return fx.request('/orders', { method: 'POST', token, body, headers });
}

export async function reserved(
  fx: HttpFixture,
  token: string,
  productId: string,
  qty = 1,
): Promise<OrderView> {
  const response = await postOrder(fx, token, { productId, qty });
  const json = (await response.json()) as { order: OrderView };
  if (response.status !== 201) throw new Error(`reserve failed: ${response.status} ${JSON.stringify(json)}`);
  return json.order;
}

export async function readOrder(fx: HttpFixture, token: string, orderId: string): Promise<OrderView> {
  return ((await (await fx.request(`/orders/${orderId}`, { token })).json()) as { order: OrderView }).order;
}

/** Posts a payment webhook event, signed unless told otherwise. */
export function postWebhook(
  fx: HttpFixture,
  body: unknown,
  options: { headers?: Record<string, string>; timestampSeconds?: number; secret?: string } = {},
): Promise<Response> | Response {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return fx.request('/payments/webhook', {
    method: 'POST',
    body: raw,
    headers: { ...signedWebhookHeaders(raw, options), ...options.headers },
  });
}

/** Every event currently in a queue (drains it). */
export async function drainQueue(fx: HttpFixture, queueUrl: string): Promise<EventEnvelope[]> {
  const seen: EventEnvelope[] = [];
  for (;;) {
    const { Messages = [] } = await fx.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    seen.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}') as EventEnvelope));
    if (Messages.length === 0) return seen;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
