import { Hono } from 'hono';
import { errorBody } from '../errors.js';

export type HealthCheck = () => Promise<{ dependency: string; ok: boolean }[]>;

export function healthRoutes(check: HealthCheck) {
  return new Hono().get('/', async (c) => {
    const results = await check();
    const failing = results.filter((result) => !result.ok).map((result) => result.dependency);
    if (failing.length === 0) return c.json({ status: 'ok' });
    c.header('Retry-After', '5');
    return c.json(
      {
        status: 'unavailable',
        ...errorBody('dependency_unavailable', `unreachable: ${failing.join(', ')}`, { failing }),
      },
      503,
    );
  });
}
