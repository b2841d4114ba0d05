import { Hono } from 'hono';
import { z } from 'zod';
import { DEFAULT_PER_USER_LIMIT, DEFAULT_RESERVATION_TTL_SECONDS } from '../../domain/product.js';
import { type BrowseDeps, listProducts } from '../../use-cases/browse.js';
import { createProduct } from '../../use-cases/create-product.js';
import type { FlashSaleDeps } from '../../use-cases/flash-sale-use-cases.js';
import { getProduct } from '../../use-cases/read-products.js';
import { type AuthEnv, requireAdmin } from '../auth.js';
import {
  idSchema,
  isoTimeSchema,
  moneySchema,
  pageQueryShape,
  parseJsonBody,
  parsePathId,
  parseWith,
  singleQuery,
  textSchema,
} from '../validation.js';

export const MAX_STOCK = 1_000_000_000;
export const MAX_PER_USER_LIMIT = 1_000_000;
export const MAX_RESERVATION_TTL_SECONDS = 24 * 60 * 60;

const createProductBody = z
  .object({
    id: idSchema.optional(),
    name: textSchema(200),
    price: moneySchema,
    stock: z.number().int('must be an integer').min(0).max(MAX_STOCK),
    perUserLimit: z.number().int('must be an integer').min(1).max(MAX_PER_USER_LIMIT).optional(),
    saleStartsAt: isoTimeSchema.optional(),
    saleEndsAt: isoTimeSchema.nullable().optional(),
    reservationTtlSeconds: z
      .number()
      .int('must be an integer')
      .min(1)
      .max(MAX_RESERVATION_TTL_SECONDS)
      .optional(),
  })
  .strict()
  .superRefine((body, context) => {
    // Every order's amount (price * qty, qty <= perUserLimit) must stay an exact safe integer.
    if (body.price * (body.perUserLimit ?? DEFAULT_PER_USER_LIMIT) > Number.MAX_SAFE_INTEGER) {
      context.addIssue({
        code: 'custom',
        path: ['perUserLimit'],
        message: 'price * perUserLimit must be at most 9007199254740991',
      });
    }
  });

const listProductsQuery = z.object({
  active: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  ...pageQueryShape,
});

export function productRoutes(
  deps: FlashSaleDeps & { newId: () => string },
  jwtSecret: string,
  browse: BrowseDeps,
) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const { active, limit, cursor } = parseWith(
        listProductsQuery,
        singleQuery(c.req.queries(), ['active', 'limit', 'cursor']),
      );
      return c.json(await listProducts(browse, active, { limit, cursor }));
    })
    .post('/', requireAdmin(jwtSecret), async (c) => {
      const body = await parseJsonBody(c, createProductBody);
      const product = await createProduct(deps, {
        id: body.id,
        name: body.name,
        price: body.price,
        stock: body.stock,
        perUserLimit: body.perUserLimit ?? DEFAULT_PER_USER_LIMIT,
        saleStartsAt: body.saleStartsAt ?? null,
        saleEndsAt: body.saleEndsAt ?? null,
        reservationTtlSeconds: body.reservationTtlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS,
      });
      return c.json({ product }, 201);
    })
    .get('/:id', async (c) => {
      return c.json({ product: await getProduct(deps, parsePathId(c, 'id')) });
    });
}
