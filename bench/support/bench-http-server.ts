/**
 * The HTTP app as it runs in the Lambda (same composition root, real Redis, real SQS protocol), served
 * by @hono/node-server, with two trivial routes beside it as the same-run reference. Run as a child
 * process by the benchmarks, so that the load generator does not share its event loop.
 *
 * BENCH_WORKERS (default 1) serves the same port from that many processes (node:cluster), each with
 * its own composition root, as several Lambda execution environments would be: on AWS, concurrency
 * comes from more instances, never from one process doing more. The trivial routes are served by the
 * same workers, so the same-run reference scales with them.
 */
import cluster from 'node:cluster';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { EventEnvelope } from '../../functions/domain/events.js';
import { composeHttpApp } from '../../functions/http/compose.js';
import type { EventPublisher } from '../../functions/ports/event-publisher.js';

const workers = Number(process.env.BENCH_WORKERS ?? 1);

if (cluster.isPrimary && workers > 1) {
  await servePrimary(workers);
} else {
  await serveApp();
}

/** Forks the workers and reports the port once every one of them listens. */
async function servePrimary(count: number): Promise<void> {
  const ports = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = cluster.fork();
          worker.once('listening', (address) => resolve(address.port));
          worker.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`)));
        }),
    ),
  );
  console.log(`listening ${ports[0]}`);
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    cluster.once('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function serveApp(): Promise<void> {
  const silent = {
    warn: () => undefined,
    error: (message: string, ...extra: unknown[]) => console.error(message, ...extra),
  };
  const { app, publisher, close } = await composeHttpApp(silent);

  const root = new Hono();
  root.get('/bench/hello', (c) => c.json({ hello: 'world' }));
  root.post('/bench/echo', async (c) => c.json({ echo: await c.req.json() }, 201));
  const publish = floorPublisher(publisher);
  root.post('/bench/publish', async (c) => {
    const body = await c.req.json();
    await publish(body);
    return c.json({ published: body }, 201);
  });
  root.route('/', app);

  // In a cluster every worker asks for port 0 and the primary hands them all the same port.
  const server = serve(
    { fetch: root.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' },
    (info) => {
      if (cluster.isPrimary) console.log(`listening ${info.port}`);
    },
  );

  const stop = async () => {
    server.close();
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * The floor under every accepted bid: the JSON POST of the trivial route plus the two SQS sends
 * (persist, fan-out) of an event the size of a bid's, through the app's own publisher and SDK client,
 * without Redis, auth or validation. What a bid costs above this is the project's own work.
 */
function floorPublisher(publisher: EventPublisher): (body: unknown) => Promise<void> {
  let seq = 0;
  return async (body) => {
    seq += 1;
    const now = Date.now();
    const event: EventEnvelope = {
      eventId: `a:floor:${seq}`,
      type: 'bid.accepted',
      entityType: 'auction',
      entityId: 'floor',
      seq,
      occurredAt: now,
      payload: {
        state: {
          id: 'floor',
          title: 'Bench lot',
          sellerId: 'bench-admin',
          status: 'open',
          currency: 'EUR',
          startingPrice: '100',
          minIncrement: '1',
          reservePrice: '0',
          currentPrice: String(seq),
          leaderId: `bidder-${seq % 2_000}`,
          bidCount: String(seq),
          seq: String(seq),
          startsAt: String(now - 60_000),
          endsAt: String(now + 3_600_000),
          createdAt: String(now - 60_000),
        },
        bid: { id: `floor-${seq}`, bidderId: `bidder-${seq % 2_000}`, amount: seq, seq, at: now },
        body,
      },
    };
    await Promise.all([publisher.persist([event]), publisher.fanout([event])]);
  };
}
