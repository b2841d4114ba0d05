import { Hono } from 'hono';
import { createProductBody, listProductsQuery } from '../../api/schemas.js';
import { type AuthEnv, requireAdmin, type TokenVerifier } from '../../auth/auth.js';
import { DEFAULT_PER_USER_LIMIT, DEFAULT_RESERVATION_TTL_SECONDS } from '../../domain/product.js';
import { createProduct } from '../../use-cases/flash-sales/create-product.js';
import type { FlashSaleDeps } from '../../use-cases/flash-sales/flash-sale-use-cases.js';
import { getProduct } from '../../use-cases/flash-sales/read-products.js';
import { type BrowseDeps, listProducts } from '../../use-cases/shared/browse.js';
import { parseJsonBody, parsePathId, parseWith, singleQuery } from '../validation.js';

export function productRoutes(
  deps: FlashSaleDeps & { newId: () => string },
  verifier: TokenVerifier,
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
    .post('/', requireAdmin(verifier), async (c) => {
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
