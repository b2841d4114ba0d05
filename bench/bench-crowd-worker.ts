/**
 * The watcher processes of `npm run bench:crowd` (see bench-crowd.ts), bundled with esbuild and
 * selected by BENCH_ROLE; each talks to the orchestrator over IPC.
 *
 * - channel: N raw WebSocket clients of the Events API, each subscribed to one channel (they stand
 *   for the crowd's devices; the bench starts several such processes, each under the open-file
 *   limit, each from its own loopback address so 100,000 sockets fit in the ephemeral ports). Kept
 *   light: no JSON parse per event; the seq and the bid's acceptance time are read from the text.
 *   Per watcher: the newest seq seen (a smaller or equal one afterwards counts as out of order, as
 *   the client library would drop it) and how many seqs were skipped.
 * - library: K watchers made with the project's client library (client/src), connecting through the
 *   WebSocket API like the demo: they receive `subscribed` with `delivery: "broadcast"`, follow the
 *   channel, and must see every state once, in seq order (catching up through `/events` on a gap,
 *   counted: each catch-up is a request of the account's budget).
 */
import { WebSocket } from 'ws';
import { createClient } from '../client/src/index.js';
import type { AuctionUpdate, WebSocketConstructor } from '../client/src/types.js';
import { atFixedPace } from '../test/support/paced.js';

const role = process.env.BENCH_ROLE;
const send = (message: Record<string, unknown>) => process.send?.(message);
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const onMessage = (handler: (message: Record<string, unknown>) => void | Promise<void>) =>
  process.on('message', (message) => void handler(message as Record<string, unknown>));

/** Latency histogram, 1 ms buckets up to 60 s. */
class Histogram {
  counts = new Uint32Array(60_001);
  total = 0;
  max = 0;
  add(ms: number) {
    const bucket = Math.min(60_000, Math.max(0, Math.round(ms)));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.total++;
    if (bucket > this.max) this.max = bucket;
  }
  percentile(p: number) {
    const target = Math.ceil(this.total * p);
    let seen = 0;
    for (let ms = 0; ms < this.counts.length; ms++) {
      seen += this.counts[ms] ?? 0;
      if (seen >= target) return ms;
    }
    return this.counts.length - 1;
  }
}

if (role === 'channel') {
  const url = process.env.BENCH_REALTIME_URL as string;
  const authorization = JSON.parse(process.env.BENCH_AUTH as string) as Record<string, string>;
  const channel = process.env.BENCH_CHANNEL as string;
  const connectRate = Number(process.env.BENCH_CONNECT_RATE ?? 2_000);
  const localAddress = process.env.BENCH_LOCAL_ADDRESS || undefined;
  const header = `header-${Buffer.from(JSON.stringify(authorization)).toString('base64url')}`;
  // Searched in the frame's bytes (no string made per frame): the event is JSON text inside the
  // data frame's JSON, so its quotes are escaped.
  const SEQ = Buffer.from('\\"seq\\":');
  const LAST_BID = Buffer.from('\\"lastBid\\":{');
  const PLACED_AT = Buffer.from('\\"placedAt\\":\\"');
  const DATA = Buffer.from('{"type":"data"');
  const readInt = (bytes: Buffer, from: number) => {
    let value = 0;
    for (let i = from; i < bytes.length; i++) {
      const digit = (bytes[i] as number) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    return value;
  };

  let histogram = new Histogram();
  let received = 0;
  let outOfOrder = 0;
  let skipped = 0;
  let subscribed = 0;
  let errors = 0;
  const lastSeq: number[] = [];
  const sockets: WebSocket[] = [];

  const open = () =>
    new Promise<void>((resolve) => {
      const index = sockets.length;
      lastSeq.push(0);
      const socket = new WebSocket(url, ['aws-appsync-event-ws', header], {
        perMessageDeflate: false,
        // The stand-in sends valid UTF-8; checking every byte of 100,000 frames/s is the bench's cost, not the system's.
        skipUTF8Validation: true,
        ...(localAddress ? { localAddress } : {}),
      });
      sockets.push(socket);
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          resolve();
        }
      };
      socket.on('open', () => socket.send('{"type":"connection_init"}'));
      socket.on('message', (raw) => {
        const bytes = raw as Buffer;
        if (bytes.indexOf(DATA) === 0) {
          const now = Date.now();
          received++;
          const at = bytes.indexOf(SEQ);
          const seq = at < 0 ? 0 : readInt(bytes, at + SEQ.length);
          const previous = lastSeq[index] ?? 0;
          if (seq <= previous) outOfOrder++;
          else {
            if (previous > 0 && seq > previous + 1) skipped += seq - previous - 1;
            lastSeq[index] = seq;
          }
          const bid = bytes.indexOf(LAST_BID);
          const placed = bid < 0 ? -1 : bytes.indexOf(PLACED_AT, bid);
          if (placed >= 0) {
            const start = placed + PLACED_AT.length;
            histogram.add(now - Date.parse(bytes.toString('latin1', start, start + 24)));
          }
          return;
        }
        const text = bytes.toString();
        if (text.includes('"connection_ack"')) {
          socket.send(JSON.stringify({ type: 'subscribe', id: `w${index}`, channel, authorization }));
        } else if (text.includes('"subscribe_success"')) {
          subscribed++;
          finish();
        } else if (text.includes('error')) {
          errors++;
          finish();
        }
      });
      socket.on('error', () => {
        errors++;
        finish();
      });
      socket.on('close', finish);
    });

  onMessage(async (message) => {
    if (message.type === 'connect') {
      let lastPrint = Date.now();
      await atFixedPace({ total: message.count as number, perSecond: connectRate, lanes: 200 }, async () => {
        await open();
        if (Date.now() - lastPrint > 5_000) {
          lastPrint = Date.now();
          send({ type: 'progress', subscribed, errors });
        }
      });
      send({ type: 'connected', subscribed, errors });
    }
    if (message.type === 'reset') {
      histogram = new Histogram();
      received = 0;
      outOfOrder = 0;
      skipped = 0;
      send({ type: 'reset', cpuMs: cpuMs() });
    }
    if (message.type === 'report') {
      const finalSeq = (message.finalSeq as number | undefined) ?? Number.POSITIVE_INFINITY;
      send({
        type: 'report',
        cpuMs: cpuMs(),
        rssBytes: process.memoryUsage().rss,
        watchers: sockets.length,
        open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
        received,
        outOfOrder,
        skipped,
        atFinal: lastSeq.filter((seq) => seq >= finalSeq).length,
        counts: Array.from(histogram.counts.entries()).filter(([, n]) => n > 0),
      });
    }
    if (message.type === 'close') {
      for (const socket of sockets) socket.terminate();
      send({ type: 'closed' });
    }
  });
  send({ type: 'ready' });
}

if (role === 'library') {
  const baseUrl = process.env.BENCH_HTTP_URL as string;
  const wsUrl = process.env.BENCH_WS_URL as string;
  const auctionId = process.env.BENCH_AUCTION_ID as string;
  let catchUps = 0;
  let httpRequests = 0;
  const counted: typeof fetch = (input, init) => {
    httpRequests++;
    if (String(input).includes('/events')) catchUps++;
    return fetch(input, init);
  };
  interface Watcher {
    seqs: number[];
    deliveries: string[];
    repeats: number;
    gaps: number;
    unordered: number;
  }
  const watchers: Watcher[] = [];
  let histogram = new Histogram();
  const clients: { close(): void }[] = [];

  const open = (): Promise<void> =>
    new Promise((resolve) => {
      const client = createClient({
        baseUrl,
        wsUrl,
        fetch: counted,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
      });
      const live = client.connect();
      clients.push(live);
      const watcher: Watcher = { seqs: [], deliveries: [], repeats: 0, gaps: 0, unordered: 0 };
      watchers.push(watcher);
      live.subscribeAuction(auctionId, (update: AuctionUpdate) => {
        const previous = watcher.seqs.at(-1);
        if (previous !== undefined) {
          if (update.seq === previous) watcher.repeats++;
          else if (update.seq < previous) watcher.unordered++;
          else if (update.seq > previous + 1) watcher.gaps++;
        }
        watcher.seqs.push(update.seq);
        watcher.deliveries.push(update.source);
        if (update.source === 'live' && update.lastBid)
          histogram.add(Date.now() - Date.parse(update.lastBid.placedAt));
        resolve();
      });
    });

  onMessage(async (message) => {
    if (message.type === 'connect') {
      await atFixedPace({ total: message.count as number, perSecond: 50, lanes: 10 }, () => open());
      // Give the channel subscriptions their moment (subscribe_success, first catch-up).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      send({ type: 'connected', subscribed: watchers.length, errors: 0 });
    }
    if (message.type === 'reset') {
      histogram = new Histogram();
      catchUps = 0;
      httpRequests = 0;
      send({ type: 'reset', cpuMs: cpuMs() });
    }
    if (message.type === 'report') {
      const finalSeq = (message.finalSeq as number | undefined) ?? Number.POSITIVE_INFINITY;
      send({
        type: 'report',
        cpuMs: cpuMs(),
        watchers: watchers.length,
        atFinal: watchers.filter((w) => (w.seqs.at(-1) ?? 0) >= finalSeq).length,
        repeats: watchers.reduce((sum, w) => sum + w.repeats, 0),
        unordered: watchers.reduce((sum, w) => sum + w.unordered, 0),
        gaps: watchers.reduce((sum, w) => sum + w.gaps, 0),
        catchUps,
        httpRequests,
        fromCatchUp: watchers.reduce(
          (sum, w) => sum + w.deliveries.filter((d) => d === 'catch-up').length,
          0,
        ),
        counts: Array.from(histogram.counts.entries()).filter(([, n]) => n > 0),
      });
    }
    if (message.type === 'close') {
      for (const client of clients) client.close();
      send({ type: 'closed' });
    }
  });
  send({ type: 'ready' });
}
