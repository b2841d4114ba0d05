/**
 * The HTTP app as it runs in the Lambda (same composition root, real Redis, real SQS protocol), served
 * by @hono/node-server, with two trivial routes beside it as the same-run reference. Run as a child
 * process by the benchmarks, so that the load generator does not share its event loop.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { composeHttpApp } from '../../functions/http/compose.js';

const silent = {
  warn: () => undefined,
  error: (message: string, ...extra: unknown[]) => console.error(message, ...extra),
};
const { app, close } = await composeHttpApp(silent);

const root = new Hono();
root.get('/bench/hello', (c) => c.json({ hello: 'world' }));
root.post('/bench/echo', async (c) => c.json({ echo: await c.req.json() }, 201));
root.route('/', app);

const server = serve(
  { fetch: root.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' },
  (info) => {
    console.log(`listening ${info.port}`);
  },
);

const stop = async () => {
  server.close();
  await close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
