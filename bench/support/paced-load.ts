import { Agent, request } from 'node:http';
import { percentile } from '../../artillery/lib/samples.js';
import { cpuPerRequest, describe, type LoadOptions, type LoadResult } from './load.js';

/**
 * An open-loop load at a constant offered rate: request n is due at start + n/rate, whatever happened
 * to the requests before it, and its latency is counted from that due time (so a stalled server is
 * charged for the requests it held back: no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it gives each connection a budget per second, and every
 * connection spends it back to back at the start of the second. "1,000/s over 50 connections" is then
 * 50 concurrent requests in a burst followed by silence, and its p99 is the burst's queueing delay
 * (a trivial route measured 19-27 ms p99 that way on this machine), not the latency at 1,000/s.
 */
export async function runPacedLoad(options: LoadOptions & { rate: number }): Promise<LoadResult> {
  const { rate, durationSeconds, connections } = options;
  process.stdout.write(
    `  ${options.label}: ${durationSeconds}s, ${rate} req/s offered (open loop, up to ${connections} connections) `,
  );
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  let settled = 0;
  const total = Math.round(rate * durationSeconds);
  const start = performance.now();
  const cpuBefore = options.serverCpuSeconds?.();

  const send = (dueAt: number) => {
    const shaped = options.setupRequest?.({}) ?? {};
    const headers = { 'content-type': 'application/json', ...shaped.headers };
    const done = () => {
      settled += 1;
    };
    const outgoing = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: shaped.path ?? target.pathname,
        headers:
          shaped.body === undefined
            ? headers
            : { ...headers, 'content-length': Buffer.byteLength(shaped.body) },
      },
      (response) => {
        response.resume();
        response.once('end', () => {
          latencies.push(performance.now() - dueAt);
          const code = String(response.statusCode);
          statusCounts[code] = (statusCounts[code] ?? 0) + 1;
          done();
        });
      },
    );
    outgoing.once('error', () => {
      errors += 1;
      done();
    });
    outgoing.end(shaped.body);
  };

  await new Promise<void>((resolve) => {
    let lastDot = start;
    // A 1 ms tick sends every request that has come due; timers may fire late, the due times do not move.
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1_000));
      while (issued < due) {
        send(start + (issued * 1_000) / rate);
        issued += 1;
      }
      if (now - lastDot >= 1_000) {
        process.stdout.write('.');
        lastDot = now;
      }
      if (issued >= total && settled >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  agent.destroy();
  const cpuUsed = cpuBefore === undefined ? undefined : (options.serverCpuSeconds?.() ?? 0) - cpuBefore;

  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const answered = latencies.length;
  const elapsedSeconds = (performance.now() - start) / 1_000;
  const summary: LoadResult = {
    label: options.label,
    requestsPerSecond: answered / elapsedSeconds,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    statusCounts,
    errors,
    total: answered,
    ...cpuPerRequest(cpuUsed, answered),
  };
  console.log(` ${describe(summary)}`);
  return summary;
}
