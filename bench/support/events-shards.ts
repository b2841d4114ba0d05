/**
 * An Events API stand-in spread over processes, for crowds past one process's open-file limit
 * (`npm run bench:crowd` with BENCH_SHARDS): K shard processes (events-shard-child.ts), each the
 * local stand-in on its own port, and one publish front that forwards every `POST /event` to all
 * of them with its headers untouched (the SigV4 signature covers the Host the publisher signed for,
 * which is the front's, and each shard checks it as received). Subscribers are spread over the
 * shards' real-time URLs by the bench. AppSync itself is such a fleet; nothing of this is needed
 * below ~18,000 subscribers, where the runtime's own stand-in serves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface EventsShards {
  /** The publish front: `http://127.0.0.1:PORT/event` (EVENTS_HTTP_URL of the runtime). */
  httpUrl: string;
  /** The front's `host:port`, which subscribers name in their authorization. */
  host: string;
  realtimeUrls: string[];
  stats(): Promise<{ deliveries: number; publishes: number; connections: number }>;
  stop(): Promise<void>;
}

interface Shard {
  child: ChildProcess;
  httpUrl: string;
  realtimeUrl: string;
}

export async function startEventsShards(options: {
  shards: number;
  apiKey: string;
  /** The bundled events-shard-child.ts. */
  childFile: string;
  /** Niceness of the shard processes (as the runtime's). */
  nice?: number;
}): Promise<EventsShards> {
  const nice = options.nice !== undefined ? `nice -n ${options.nice} ` : '';
  const shards: Shard[] = await Promise.all(
    Array.from(
      { length: options.shards },
      () =>
        new Promise<Shard>((resolve, reject) => {
          const child = spawn(
            '/bin/bash',
            ['-c', `ulimit -n $(ulimit -Hn); exec ${nice}"${process.execPath}" "${options.childFile}"`],
            {
              env: { ...process.env, EVENTS_SHARD_API_KEY: options.apiKey },
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            },
          );
          child.once('error', reject);
          child.once('message', (message) => {
            const ready = message as { httpUrl: string; realtimeUrl: string };
            resolve({ child, httpUrl: ready.httpUrl, realtimeUrl: ready.realtimeUrl });
          });
        }),
    ),
  );
  const front = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks);
      try {
        // Answered with the first shard's answer: AppSync answers a publish once accepted, not
        // once delivered, and a front waiting for every busy shard made publishes time out.
        const [first, ...rest] = shards.map((shard) => forward(shard.httpUrl, incoming, body));
        for (const other of rest) other.catch(() => undefined);
        const answer = (await first) as { status: number; text: string };
        outgoing.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.text);
      } catch (error) {
        outgoing
          .writeHead(502, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const port = (front.address() as AddressInfo).port;
  const ask = (shard: Shard) =>
    new Promise<{ deliveries: number; publishes: number; connections: number }>((resolve) => {
      const onMessage = (message: unknown) => {
        const answer = message as {
          type: string;
          stats: { deliveries: number; publishes: number; connections: number };
        };
        if (answer.type !== 'stats') return;
        shard.child.off('message', onMessage);
        resolve(answer.stats);
      };
      shard.child.on('message', onMessage);
      shard.child.send({ type: 'stats' });
    });
  return {
    httpUrl: `http://127.0.0.1:${port}/event`,
    host: `127.0.0.1:${port}`,
    realtimeUrls: shards.map((shard) => shard.realtimeUrl),
    async stats() {
      const all = await Promise.all(shards.map(ask));
      return all.reduce(
        (sum, s) => ({
          deliveries: sum.deliveries + s.deliveries,
          publishes: sum.publishes + s.publishes,
          connections: sum.connections + s.connections,
        }),
        { deliveries: 0, publishes: 0, connections: 0 },
      );
    },
    async stop() {
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await Promise.all(
        shards.map(
          (shard) =>
            new Promise<void>((resolve) => {
              shard.child.once('exit', () => resolve());
              shard.child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** The same request to one shard, headers as received (Host included: the signature covers it). */
async function forward(httpUrl: string, incoming: IncomingMessage, body: Buffer) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === 'string' && name !== 'connection') headers[name] = value;
  }
  const response = await request(httpUrl, { method: 'POST', headers, body });
  return { status: response.statusCode, text: await response.body.text() };
}
