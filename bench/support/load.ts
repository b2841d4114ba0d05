import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { processTreeCpuSeconds } from './process-cpu.js';

export interface LoadResult {
  label: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  statusCounts: Record<string, number>;
  errors: number;
  total: number;
  /** Server CPU time (all its processes) per answered request, in microseconds; absent if unknown. */
  serverCpuMicros?: number;
}

export interface LoadOptions {
  label: string;
  url: string;
  durationSeconds: number;
  connections: number;
  /** Offered rate in requests/s; unset means as fast as the server answers. */
  rate?: number;
  method?: 'GET' | 'POST';
  /** Per-request mutation: body, headers. */
  setupRequest?: (request: {
    body?: string;
    headers?: Record<string, string>;
    path?: string;
  }) => typeof request;
  /** The server's CPU seconds so far, read before and after the run. */
  serverCpuSeconds?: () => number;
}

/** Drives load with autocannon (keep-alive HTTP/1.1 connections), printing a progress line per second. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  process.stdout.write(
    `  ${options.label}: ${options.durationSeconds}s, ${options.connections} connections${options.rate ? `, ${options.rate} req/s offered` : ''} `,
  );
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: options.method ?? 'GET',
        headers: { 'content-type': 'application/json' },
        ...(options.setupRequest ? { setupRequest: options.setupRequest as never } : {}),
      },
    ],
  });
  const ticker = setInterval(() => process.stdout.write('.'), 1_000);
  const cpuBefore = options.serverCpuSeconds?.();
  const result = await instance;
  clearInterval(ticker);
  const cpuUsed = cpuBefore === undefined ? undefined : (options.serverCpuSeconds?.() ?? 0) - cpuBefore;
  const statusCounts: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    statusCounts[code] = Number((stat as { count: number }).count);
  }
  const total = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  const summary: LoadResult = {
    label: options.label,
    requestsPerSecond: total / options.durationSeconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCounts,
    errors: result.errors + result.timeouts,
    total,
    ...cpuPerRequest(cpuUsed, total),
  };
  console.log(` ${describe(summary)}`);
  return summary;
}

export function cpuPerRequest(
  cpuSeconds: number | undefined,
  requests: number,
): { serverCpuMicros?: number } {
  if (!cpuSeconds || requests === 0) return {};
  return { serverCpuMicros: Math.round((cpuSeconds * 1e6) / requests) };
}

/** The progress line's ending: rate, latency and, when known, the server's CPU per request. */
export function describe(result: LoadResult): string {
  const cpu = result.serverCpuMicros === undefined ? '' : `, server CPU ${result.serverCpuMicros} us/req`;
  return `${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms${cpu}`;
}

/** Bundles the bench server like the Lambda bundles (esbuild, .lua as text) and starts it. */
export async function startBenchServer(
  env: Record<string, string>,
): Promise<{ port: number; child: ChildProcess; cpuSeconds: () => number; stop: () => Promise<void> }> {
  const outdir = join(process.cwd(), '.local-build', 'bench');
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'bench-http-server.mjs');
  await build({
    entryPoints: ['bench/support/bench-http-server.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    loader: { '.lua': 'text' },
    logLevel: 'error',
  });
  // BENCH_CPU_PROF=1 writes a V8 CPU profile of the server to .local-build/bench/ for inspection.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${outdir}`] : [];
  const child = spawn(process.execPath, [...profile, outfile], {
    env: { ...process.env, ...env, PORT: '0', POWERTOOLS_METRICS_DISABLED: 'true', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    port,
    child,
    cpuSeconds: () => (child.pid === undefined ? 0 : processTreeCpuSeconds(child.pid)),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function formatTable(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')).join('\n');
}
