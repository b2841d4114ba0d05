/**
 * The child processes of `npm run bench:fanout` (see bench-fanout.ts), bundled with esbuild and
 * selected by BENCH_ROLE; each talks to the orchestrator over IPC:
 * - watchers: N WebSocket clients subscribed to one topic (they stand for the users' devices),
 *   connected at most BENCH_CONNECT_RATE per second (API Gateway's 500/s quota is imitated by the
 *   local gateway), measuring update-to-watcher latency, seq order and the last seq each one saw;
 * - floor: raw keep-alive HTTP POSTs of an update-sized body to the management endpoint, the
 *   reference for the fan-out's CPU per delivery (what a POST costs a client with nothing else).
 */
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';
import { atFixedPace } from '../test/support/paced.js';

const role = process.env.BENCH_ROLE;
const send = (message: Record<string, unknown>) => process.send?.(message);
/** CPU time used by this process so far, ms. */
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const onMessage = (handler: (message: Record<string, unknown>) => void | Promise<void>) =>
  process.on('message', (message) => void handler(message as Record<string, unknown>));

if (role === 'floor') {
  const endpoint = new URL(process.env.BENCH_MANAGEMENT_ENDPOINT as string);
  const total = Number(process.env.BENCH_FLOOR_POSTS ?? 20_000);
  const concurrency = Number(process.env.BENCH_FLOOR_CONCURRENCY ?? 200);
  const body = Buffer.from(process.env.BENCH_FLOOR_BODY ?? '{}');
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const postOnce = (i: number) =>
    new Promise<void>((resolve) => {
      const call = request(
        {
          hostname: endpoint.hostname,
          port: endpoint.port,
          path: `/@connections/${encodeURIComponent(`floor-${i}`)}`,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/octet-stream', 'content-length': body.byteLength },
        },
        (response) => {
          response.resume();
          response.once('end', resolve);
        },
      );
      call.once('error', () => resolve());
      call.end(body);
    });
  // Warm the sockets, then measure.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => postOnce(i)));
  const started = cpuMs();
  const wall = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await postOnce(next++);
    }),
  );
  send({ type: 'floor', posts: total, cpuMs: cpuMs() - started, wallMs: performance.now() - wall });
  agent.destroy();
}

if (role === 'watchers') {
  const url = process.env.BENCH_WS_URL as string;
  const topic = process.env.BENCH_TOPIC as string;
  const connectRate = Number(process.env.BENCH_CONNECT_RATE ?? 450);
  // update-to-watcher latency histogram, 1 ms buckets up to 60 s
  let histogram = new Uint32Array(60_001);
  let received = 0;
  let subscribed = 0;
  let errors = 0;
  let outOfOrder = 0;
  // Per pushed seq: when its bid was accepted and when the first and the last watcher got it, to
  // tell waiting for a wave (first - accepted) from the wave's own length (last - first).
  let waves = new Map<number, { placedAt: number; first: number; last: number }>();
  const watchers: { socket: WebSocket; lastSeq: number }[] = [];

  const open = () =>
    new Promise<void>((resolve) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      const watcher = { socket, lastSeq: -1 };
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          resolve();
        }
      };
      socket.on('open', () => socket.send(JSON.stringify({ action: 'subscribe', topic })));
      socket.on('message', (data) => {
        const now = Date.now();
        const message = JSON.parse(data.toString()) as {
          type: string;
          seq?: number;
          lastBid?: { placedAt: string } | null;
        };
        if (typeof message.seq === 'number') {
          if (message.seq <= watcher.lastSeq) outOfOrder++;
          watcher.lastSeq = message.seq;
        }
        if (message.type === 'subscribed') {
          subscribed++;
          finish();
        } else if (message.type === 'auction.updated') {
          received++;
          if (message.lastBid) {
            const latency = Math.min(60_000, Math.max(0, now - Date.parse(message.lastBid.placedAt)));
            histogram[latency] = (histogram[latency] ?? 0) + 1;
            const seq = message.seq ?? 0;
            const wave = waves.get(seq);
            if (wave) wave.last = now;
            else waves.set(seq, { placedAt: Date.parse(message.lastBid.placedAt), first: now, last: now });
          }
        } else if (message.type === 'error') {
          errors++;
          finish();
        }
      });
      socket.on('error', () => {
        errors++;
        finish();
      });
      watchers.push(watcher);
    });

  /** Opens `count` more watchers at `connectRate` per second, at most 200 handshakes in flight. */
  const connect = async (count: number) => {
    let lastPrint = Date.now();
    await atFixedPace({ total: count, perSecond: connectRate, lanes: 200 }, async () => {
      await open();
      if (Date.now() - lastPrint > 2_000) {
        lastPrint = Date.now();
        send({ type: 'progress', subscribed, errors });
      }
    });
  };

  const percentile = (counts: Uint32Array, total: number, p: number) => {
    const target = Math.ceil(total * p);
    let seen = 0;
    for (let ms = 0; ms < counts.length; ms++) {
      seen += counts[ms] ?? 0;
      if (seen >= target) return ms;
    }
    return counts.length - 1;
  };
  onMessage(async (message) => {
    if (message.type === 'connect') {
      await connect(message.count as number);
      send({ type: 'connected', subscribed, errors });
    }
    if (message.type === 'reset') {
      histogram = new Uint32Array(60_001);
      received = 0;
      outOfOrder = 0;
      waves = new Map();
      send({ type: 'reset', cpuMs: cpuMs() });
    }
    if (message.type === 'report') {
      let count = 0;
      let max = 0;
      for (let ms = 0; ms < histogram.length; ms++) {
        count += histogram[ms] ?? 0;
        if ((histogram[ms] ?? 0) > 0) max = ms;
      }
      const sorted = (values: number[]) => values.sort((a, b) => a - b);
      const at = (values: number[], p: number) =>
        values[Math.min(values.length - 1, Math.ceil(values.length * p) - 1)] ?? 0;
      const starts = sorted([...waves.values()].map((w) => w.first - w.placedAt));
      const spreads = sorted([...waves.values()].map((w) => w.last - w.first));
      const finalSeq = (message.finalSeq as number | undefined) ?? Number.POSITIVE_INFINITY;
      send({
        type: 'report',
        cpuMs: cpuMs(),
        received,
        outOfOrder,
        open: watchers.filter((w) => w.socket.readyState === WebSocket.OPEN).length,
        atFinal: watchers.filter((w) => w.lastSeq >= finalSeq).length,
        p50: percentile(histogram, count, 0.5),
        p99: percentile(histogram, count, 0.99),
        max,
        waves: waves.size,
        waveStartP50: at(starts, 0.5),
        waveStartP99: at(starts, 0.99),
        waveSpreadP50: at(spreads, 0.5),
        waveSpreadP99: at(spreads, 0.99),
      });
    }
  });
  send({ type: 'ready' });
}
