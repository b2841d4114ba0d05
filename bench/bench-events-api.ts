/**
 * npx tsx bench/bench-events-api.ts — CPU per delivery of the local AppSync Events stand-in.
 *
 * Two stand-ins in this process, the same crowd size on each (the crowd in a child process at the
 * lowest priority: it stands for the users' devices):
 *   - `shared`: what the stand-in does (an event encoded once per publish, each subscriber's frame
 *     its pre-encoded head + that tail, one socket write);
 *   - `per-subscriber`: the same-run reference, each data message encoded whole per subscriber
 *     (JSON.stringify + ws.send), as a naive server would.
 * Publishes alternate between the two (ABBA), each a SigV4-signed HTTP POST of one ~300-byte
 * auction update; this process's CPU (user + system, all threads) from just before the publish to
 * the crowd's report that every subscriber has it, divided by the crowd size, is the CPU per
 * delivery. The publish itself (signing, verifying, answering) is included, once per crowd.
 *
 * Env: BENCH_WATCHERS (per stand-in, default 5000), BENCH_ROUNDS (publishes per stand-in, 30).
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { type EventsApi, startEventsApi } from '../local-aws/index.js';
import { signedPublish } from '../test/support/events-api.js';

const watchers = Number(process.env.BENCH_WATCHERS ?? 5000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const apiKey = 'da2-bench';
const channel = '/live/auction/01JBENCHAUCTION0000000000';

const modes = ['shared', 'per-subscriber'] as const;
const apis: EventsApi[] = [];
for (const mode of modes) apis.push(await startEventsApi({ apiKey, deliveryEncoding: mode }));

const rssBefore = process.memoryUsage().rss;
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'bench/support/events-crowd-client.ts',
    channel,
    apiKey,
    String(watchers),
    ...apis.map((api) => api.realtimeUrl),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
if (child.pid) setPriority(child.pid, 19);
const lines = createInterface({ input: child.stdout });
const waiting: { match: string; resolve: () => void }[] = [];
lines.on('line', (line) => {
  const at = waiting.findIndex((waiter) => waiter.match === line);
  if (at !== -1) waiting.splice(at, 1)[0]?.resolve();
});
const line = (match: string) => new Promise<void>((resolve) => waiting.push({ match, resolve }));

await line('ready');
const rssPerSubscriber = (process.memoryUsage().rss - rssBefore) / (watchers * modes.length);
console.log(`crowd ready: ${watchers} subscribers on each of ${modes.length} stand-ins`);

const samples: Record<(typeof modes)[number], number[]> = { shared: [], 'per-subscriber': [] };
const userSamples: Record<(typeof modes)[number], number[]> = { shared: [], 'per-subscriber': [] };
const received = [0, 0];
let sequence = 0;
const update = (seq: number) =>
  JSON.stringify({
    type: 'auction.updated',
    topic: 'auction:01JBENCHAUCTION0000000000',
    seq,
    auction: {
      id: '01JBENCHAUCTION0000000000',
      status: 'open',
      currentPrice: 1000 + seq * 10,
      minimumNextBid: 1010 + seq * 10,
      bidCount: seq,
      leaderId: `user-${seq % 97}`,
      endsAt: '2026-12-07T06:00:00.000Z',
      reservePrice: null,
    },
  });

for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [0, 1] : [1, 0];
  for (const index of order) {
    const api = apis[index] as EventsApi;
    received[index] = (received[index] as number) + watchers;
    const done = line(`got ${index} ${received[index]}`);
    const start = process.cpuUsage();
    const response = await signedPublish(api, { channel, events: [update(++sequence)] });
    if (response.status !== 200) throw new Error(`publish answered ${response.status}`);
    await done;
    const used = process.cpuUsage(start);
    samples[modes[index] as (typeof modes)[number]].push((used.user + used.system) / watchers);
    userSamples[modes[index] as (typeof modes)[number]].push(used.user / watchers);
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const shared = median(samples.shared);
const reference = median(samples['per-subscriber']);
console.log(`\nCPU per delivery (median of ${rounds} publishes each, ${watchers} subscribers, ABBA):`);
console.log(
  `  shared encoding (the stand-in)       ${shared.toFixed(2)} us (user ${median(userSamples.shared).toFixed(2)})`,
);
console.log(
  `  per-subscriber encoding (reference)  ${reference.toFixed(2)} us (user ${median(userSamples['per-subscriber']).toFixed(2)})`,
);
console.log(`  ratio                                ${(reference / shared).toFixed(2)}x`);
console.log(
  `memory: ~${(rssPerSubscriber / 1024).toFixed(1)} KiB RSS per subscriber (server side, both stand-ins)`,
);
console.log(`stats: ${JSON.stringify(apis.map((api) => api.stats()))}`);

child.kill();
for (const api of apis) await api.stop();
