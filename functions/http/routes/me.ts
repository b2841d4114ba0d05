import { Hono } from 'hono';
import { notificationsQuery, pageQuery } from '../../api/schemas.js';
import { type AuthEnv, requireUser, type TokenVerifier } from '../../auth/auth.js';
import type { NotificationReader } from '../../ports/notifications.js';
import { listNotifications } from '../../use-cases/notifications/list-notifications.js';
import { type BrowseDeps, listMyBids, listMyOrders } from '../../use-cases/shared/browse.js';
import { parseWith, singleQuery } from '../validation.js';

/** The caller's own activity, from the read model: always filtered by the token's `sub`. */
export function meRoutes(
  browse: BrowseDeps,
  verifier: TokenVerifier,
  notifications: { notifications: NotificationReader },
) {
  const query = (c: { req: { queries: () => Record<string, string[]> } }) =>
    parseWith(pageQuery, singleQuery(c.req.queries(), ['limit', 'cursor']));
  return new Hono<AuthEnv>()
    .use(requireUser(verifier))
    .get('/orders', async (c) => c.json(await listMyOrders(browse, c.var.user.id, query(c))))
    .get('/bids', async (c) => c.json(await listMyBids(browse, c.var.user.id, query(c))))
    .get('/notifications', async (c) => {
      const { since, limit } = parseWith(
        notificationsQuery,
        singleQuery(c.req.queries(), ['since', 'limit']),
      );
      return c.json(await listNotifications(notifications, { userId: c.var.user.id, since, limit }));
    });
}
