import { parseProductRecord } from '../../../../domain/product-record.js';
import type { CreateProductOutcome, NewProduct } from '../../../../ports/product-store.js';
import type { RedisClient } from '../../client.js';
import { deciding } from '../../lua-script.js';
import { productCoreKeys, productKeys } from '../../redis-keys.js';
import { luaScript } from '../script.js';
import source from './create-product.lua';
import type { RawProduct, RawStep } from './product-step.js';

export const createProductScript = luaScript('createProduct', source);

type RawReply = RawStep<
  | { ok: true; product: RawProduct }
  | { ok: false; code: 'product_exists' | 'product_unavailable' }
  | { ok: false; code: 'invalid_schedule'; field: string; message: string }
>;

export async function runCreateProduct(
  redis: RedisClient,
  args: NewProduct & { eventLogLength: number },
): Promise<CreateProductOutcome> {
  const optional = (value: number | null) => (value === null ? '' : String(value));
  const input = {
    id: args.id,
    name: args.name,
    price: String(args.price),
    stock: String(args.stock),
    perUserLimit: String(args.perUserLimit),
    saleStartsAt: optional(args.saleStartsAt),
    saleEndsAt: optional(args.saleEndsAt),
    reservationTtlSeconds: String(args.reservationTtlSeconds),
  };
  const reply = await deciding(
    createProductScript.runJson<RawReply>(
      redis,
      [...productCoreKeys(args.id), productKeys(args.id).fence],
      [JSON.stringify(input), args.eventLogLength],
    ),
  );
  if (!reply.ok) return reply;
  return { ...reply, product: parseProductRecord(reply.product) };
}
