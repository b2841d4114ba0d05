/**
 * Reads the per-thread samples files that artillery/processor.mjs writes when LOAD_SAMPLES_DIR is set,
 * and turns them into the figures of the summary table and the charts.
 *
 * Line formats (tab-separated):
 *   r  <epoch ms>  <request name>  <status>  <ms to first byte>
 *   w  <epoch ms>  <kind>  <JSON record>          an accepted write (2xx), for the audit
 *   f  <epoch ms>  <ms since placedAt>  <ms since the 201, or empty>  <topic>  <seq>
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ResponseSample {
  t: number;
  name: string;
  status: number;
  ms: number;
}

export interface WriteSample {
  t: number;
  kind: 'auction' | 'product' | 'bid' | 'order' | 'payment' | 'cancel';
  record: Record<string, unknown>;
}

export interface FanoutSample {
  t: number;
  ms: number;
  from201Ms: number | undefined;
}

export interface Samples {
  responses: ResponseSample[];
  writes: WriteSample[];
  fanout: FanoutSample[];
}

export function readSamples(dir: string): Samples {
  const samples: Samples = { responses: [], writes: [], fanout: [] };
  if (!existsSync(dir)) return samples;
  for (const file of readdirSync(dir).filter((name) => /^samples-.*\.tsv$/.test(name))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const cells = line.split('\t');
      const t = Number(cells[1]);
      if (cells[0] === 'r') {
        samples.responses.push({ t, name: cells[2] ?? '?', status: Number(cells[3]), ms: Number(cells[4]) });
      } else if (cells[0] === 'w') {
        samples.writes.push({
          t,
          kind: cells[2] as WriteSample['kind'],
          record: JSON.parse(cells.slice(3).join('\t')) as Record<string, unknown>,
        });
      } else if (cells[0] === 'f') {
        samples.fanout.push({
          t,
          ms: Number(cells[2]),
          from201Ms: cells[3] ? Number(cells[3]) : undefined,
        });
      }
    }
  }
  samples.responses.sort((a, b) => a.t - b.t);
  samples.fanout.sort((a, b) => a.t - b.t);
  return samples;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export interface LatencyStats {
  count: number;
  /** Requests per second over the seconds in which this request was answered (first to last). */
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function latencyStats(times: number[], values: number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const seconds = Math.max(1, (last - first) / 1000);
  return {
    count: values.length,
    perSecond: values.length / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export interface RequestFigures extends LatencyStats {
  name: string;
  /** Count per status code. */
  statuses: Record<string, number>;
  /** 2xx per second over the same window. */
  acceptedPerSecond: number;
}

export function requestFigures(responses: ResponseSample[]): RequestFigures[] {
  const byName = new Map<string, ResponseSample[]>();
  for (const response of responses) {
    const list = byName.get(response.name) ?? [];
    list.push(response);
    byName.set(response.name, list);
  }
  return [...byName.entries()]
    .map(([name, list]) => {
      const stats = latencyStats(
        list.map((r) => r.t),
        list.map((r) => r.ms),
      );
      const statuses: Record<string, number> = {};
      for (const r of list) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const accepted = list.filter((r) => r.status >= 200 && r.status < 300).length;
      return { name, ...stats, statuses, acceptedPerSecond: (accepted / stats.count) * stats.perSecond };
    })
    .sort((a, b) => b.count - a.count);
}

export interface SecondBucket {
  second: number;
  count: number;
  p50: number;
  p99: number;
}

/** Per-second count and latency percentiles, from the run's first second (gaps filled with zeros). */
export function perSecond(points: { t: number; ms: number }[], start: number, end: number): SecondBucket[] {
  const buckets = new Map<number, number[]>();
  for (const point of points) {
    const second = Math.floor((point.t - start) / 1000);
    const list = buckets.get(second) ?? [];
    list.push(point.ms);
    buckets.set(second, list);
  }
  const result: SecondBucket[] = [];
  for (let second = 0; second <= Math.floor((end - start) / 1000); second++) {
    const values = (buckets.get(second) ?? []).sort((a, b) => a - b);
    result.push({
      second,
      count: values.length,
      p50: percentile(values, 50),
      p99: percentile(values, 99),
    });
  }
  return result;
}
