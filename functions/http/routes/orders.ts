import { Hono } from 'hono';
import { reserveOrderBody } from '../../api/schemas.js';
import { type AuthEnv, requireUser, type TokenVerifier } from '../../auth/auth.js';
import { cancelOrder } from '../../use-cases/flash-sales/cancel-order.js';
import type { FlashSaleDeps } from '../../use-cases/flash-sales/flash-sale-use-cases.js';
import { getOrder } from '../../use-cases/flash-sales/read-products.js';
import { reserveOrder } from '../../use-cases/flash-sales/reserve-order.js';
import { idempotencyOf, parseJsonBody, parsePathId } from '../validation.js';

export function orderRoutes(deps: FlashSaleDeps, verifier: TokenVerifier) {
  return new Hono<AuthEnv>()
    .use(requireUser(verifier))
    .post('/', async (c) => {
      const body = await parseJsonBody(c, reserveOrderBody);
      const order = await reserveOrder(deps, {
        productId: body.productId,
        userId: c.var.user.id,
        qty: body.qty,
        idempotency: idempotencyOf(c, body),
      });
      return c.json({ order }, 201);
    })
    .get('/:id', async (c) => {
      return c.json({ order: await getOrder(deps, parsePathId(c, 'id'), c.var.user) });
    })
    .post('/:id/cancel', async (c) => {
      return c.json({ order: await cancelOrder(deps, parsePathId(c, 'id'), c.var.user.id) });
    });
}
