/**
 * The load run's report: a plain-text summary table for the terminal and a self-contained HTML page
 * (inline CSS and SVG, no script, no external asset) that opens offline.
 */
import type { AuditCheck } from './audit.js';
import { type FanoutSample, perSecond, type RequestFigures, type ResponseSample } from './samples.js';

export interface ScenarioReport {
  name: string;
  profile: string;
  exitCode: number;
  seconds: number;
  /** Artillery's `ensure` results, e.g. { ok: true, text: 'latency.bid.p99 < 200' }. */
  checks: { ok: boolean; text: string }[];
  requests: RequestFigures[];
  fanout: { count: number; p50: number; p99: number; from201P50: number; from201P99: number };
  responses: ResponseSample[];
  fanoutSamples: FanoutSample[];
  errors: Record<string, number>;
}

export interface Headline {
  label: string;
  value: string;
  target: string;
  reference?: string;
}

export interface RunReport {
  runId: string;
  profile: string;
  startedAt: Date;
  machine: string;
  headline: Headline[];
  scenarios: ScenarioReport[];
  audit: AuditCheck[];
  persistenceAudit: { ran: boolean; ok: boolean; output: string };
  writer: { perSecond: { second: number; count: number }[]; start: number };
  runtimeSummary: string[];
  ok: boolean;
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

function table(rows: string[][], rightAligned: (column: number) => boolean): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        rightAligned(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join('\n');
}

const statusText = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .map(([status, count]) => `${status}:${count}`)
    .join(' ');

/** The per-request table of a scenario (header first), shared by the terminal and HTML reports. */
function requestRows(scenario: ScenarioReport): string[][] {
  return [
    ['request', 'count', 'req/s', '2xx/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'statuses'],
    ...scenario.requests.map((r) => [
      r.name,
      fmt(r.count),
      fmt(r.perSecond, 1),
      fmt(r.acceptedPerSecond, 1),
      fmt(r.p50, 1),
      fmt(r.p95, 1),
      fmt(r.p99, 1),
      fmt(r.max, 1),
      statusText(r.statuses),
    ]),
  ];
}

export function terminalSummary(report: RunReport): string {
  const out: string[] = [];
  out.push(`Load run ${report.runId} (profile ${report.profile}) on ${report.machine}`);
  out.push('');
  out.push(
    table(
      [
        ['figure', 'this run', 'design target', 'same-run reference'],
        ...report.headline.map((h) => [h.label, h.value, h.target, h.reference ?? '']),
      ],
      (column) => column === 1,
    ),
  );
  for (const scenario of report.scenarios) {
    out.push('');
    out.push(
      `${scenario.name}: ${fmt(scenario.seconds)} s, artillery exit ${scenario.exitCode}${Object.keys(scenario.errors).length ? `, errors ${JSON.stringify(scenario.errors)}` : ''}`,
    );
    const rows = requestRows(scenario);
    if (scenario.fanout.count > 0)
      rows.push([
        'ws update',
        fmt(scenario.fanout.count),
        '',
        '',
        fmt(scenario.fanout.p50, 1),
        '',
        fmt(scenario.fanout.p99, 1),
        '',
        'since placedAt',
      ]);
    out.push(table(rows, (column) => column > 0 && column < 8));
    for (const check of scenario.checks) out.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ensure ${check.text}`);
  }
  out.push('');
  out.push('Audit');
  for (const check of report.audit) {
    out.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name} (${check.detail})`);
    for (const problem of check.problems) out.push(`         ${problem}`);
  }
  out.push(
    `  ${report.persistenceAudit.ran ? (report.persistenceAudit.ok ? 'ok  ' : 'FAIL') : 'skip'} npm run audit (Redis vs PostgreSQL)${report.persistenceAudit.ran ? '' : `: ${report.persistenceAudit.output}`}`,
  );
  if (report.runtimeSummary.length > 0) {
    out.push('');
    out.push('Local runtime at shutdown');
    for (const line of report.runtimeSummary) out.push(`  ${line}`);
  }
  out.push('');
  out.push(report.ok ? 'LOAD RUN PASSED' : 'LOAD RUN FAILED');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTML

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

const esc = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function lineChart(title: string, unit: string, series: Series[], log = false): string {
  const width = 720;
  const height = 240;
  const left = 56;
  const right = 150;
  const top = 28;
  const bottom = 32;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return '';
  const maxX = Math.max(1, ...all.map(([x]) => x));
  const maxY = niceMax(Math.max(...all.map(([, y]) => y)));
  const minLog = 1;
  const yScale = (y: number) =>
    log
      ? top + plotH - (Math.log10(Math.max(y, minLog)) / Math.log10(Math.max(maxY, 10))) * plotH
      : top + plotH - (y / maxY) * plotH;
  const xScale = (x: number) => left + (x / maxX) * plotW;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="16" class="title">${esc(title)}</text>`);
  const ticks = log
    ? [1, 10, 100, 1000, 10000].filter((t) => t <= Math.max(maxY, 10))
    : [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxY);
  for (const tick of ticks) {
    const y = yScale(tick);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" class="tick" text-anchor="end">${fmt(tick)}</text>`);
  }
  const xStep = niceMax(maxX / 8);
  for (let x = 0; x <= maxX; x += xStep) {
    parts.push(
      `<text x="${xScale(x)}" y="${top + plotH + 16}" class="tick" text-anchor="middle">${fmt(x)}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 2}" class="tick" text-anchor="middle">seconds into the run</text>`,
  );
  parts.push(
    `<text x="12" y="${top + plotH / 2}" class="tick" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">${esc(unit)}</text>`,
  );
  series.forEach((s, index) => {
    const color = COLORS[index % COLORS.length];
    const segments: string[] = [];
    let current: string[] = [];
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) {
        if (current.length) segments.push(current.join(' '));
        current = [];
        continue;
      }
      current.push(`${xScale(x).toFixed(1)},${yScale(y).toFixed(1)}`);
    }
    if (current.length) segments.push(current.join(' '));
    for (const points of segments)
      parts.push(
        `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
    const ly = top + 6 + index * 16;
    parts.push(
      `<line x1="${left + plotW + 10}" x2="${left + plotW + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    parts.push(`<text x="${left + plotW + 32}" y="${ly + 4}" class="legend">${esc(s.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg>`;
}

function scenarioCharts(scenario: ScenarioReport): string {
  if (scenario.responses.length === 0) return '<p>No responses recorded.</p>';
  const start = Math.min(
    scenario.responses[0]?.t ?? Number.POSITIVE_INFINITY,
    scenario.fanoutSamples[0]?.t ?? Number.POSITIVE_INFINITY,
  );
  const end = Math.max(
    scenario.responses[scenario.responses.length - 1]?.t ?? 0,
    scenario.fanoutSamples[scenario.fanoutSamples.length - 1]?.t ?? 0,
  );
  const names = scenario.requests.map((r) => r.name);
  const throughput: Series[] = [];
  const latency: Series[] = [];
  for (const name of names) {
    const buckets = perSecond(
      scenario.responses.filter((r) => r.name === name),
      start,
      end,
    );
    throughput.push({ name: `${name} req/s`, points: buckets.map((b) => [b.second, b.count]) });
    if (latency.length < 6) {
      latency.push({ name: `${name} p50`, points: buckets.map((b) => [b.second, b.p50]) });
      latency.push({ name: `${name} p99`, points: buckets.map((b) => [b.second, b.p99]), dashed: true });
    }
  }
  const accepted = perSecond(
    scenario.responses.filter(
      (r) => r.status >= 200 && r.status < 300 && r.name !== 'auction' && r.name !== 'product',
    ),
    start,
    end,
  );
  throughput.push({ name: 'writes 2xx/s', points: accepted.map((b) => [b.second, b.count]), dashed: true });
  let charts = lineChart('Throughput (responses per second)', 'per second', throughput);
  charts += lineChart('Latency per second (time to first byte, log scale)', 'ms', latency, true);
  if (scenario.fanoutSamples.length > 0) {
    const fan = perSecond(scenario.fanoutSamples, start, end);
    charts += lineChart(
      'WebSocket update latency (receipt - bid placedAt, log scale)',
      'ms',
      [
        { name: 'p50', points: fan.map((b) => [b.second, b.p50]) },
        { name: 'p99', points: fan.map((b) => [b.second, b.p99]), dashed: true },
      ],
      true,
    );
    charts += lineChart('WebSocket updates received per second', 'per second', [
      { name: 'updates/s', points: fan.map((b) => [b.second, b.count]) },
    ]);
  }
  return charts;
}

function htmlTable(rows: string[][]): string {
  const [head, ...body] = rows;
  return `<table><thead><tr>${(head ?? []).map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${body
    .map(
      (row) =>
        `<tr>${row.map((c, i) => `<td${i > 0 && /^[\d,.-]+$/.test(c) ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

export function htmlReport(report: RunReport): string {
  const sections = report.scenarios.map((scenario) => {
    const rows = requestRows(scenario);
    if (scenario.fanout.count > 0)
      rows.push([
        'ws update (since placedAt)',
        fmt(scenario.fanout.count),
        '',
        '',
        fmt(scenario.fanout.p50, 1),
        '',
        fmt(scenario.fanout.p99, 1),
        '',
        '',
      ]);
    if (scenario.fanout.from201P50 >= 0)
      rows.push([
        'ws update (since the 201)',
        '',
        '',
        '',
        fmt(scenario.fanout.from201P50, 1),
        '',
        fmt(scenario.fanout.from201P99, 1),
        '',
        '',
      ]);
    const checks = scenario.checks
      .map((c) => `<li class="${c.ok ? 'ok' : 'fail'}">${c.ok ? 'ok' : 'FAIL'}: ${esc(c.text)}</li>`)
      .join('');
    return `<section><h2>${esc(scenario.name)} <small>${fmt(scenario.seconds)} s, artillery exit ${scenario.exitCode}</small></h2>
${htmlTable(rows)}
<ul class="checks">${checks}</ul>
${Object.keys(scenario.errors).length ? `<p class="fail">Client errors: ${esc(JSON.stringify(scenario.errors))}</p>` : ''}
<div class="charts">${scenarioCharts(scenario)}</div></section>`;
  });
  const writer =
    report.writer.perSecond.length > 0
      ? lineChart('Writer: events persisted to PostgreSQL per second (whole run)', 'rows/s', [
          { name: 'events/s', points: report.writer.perSecond.map((b) => [b.second, b.count]) },
        ])
      : '';
  const audit = report.audit
    .map(
      (check) =>
        `<li class="${check.ok ? 'ok' : 'fail'}">${check.ok ? 'ok' : 'FAIL'}: ${esc(check.name)} (${esc(check.detail)})${
          check.problems.length ? `<ul>${check.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''
        }</li>`,
    )
    .join('');
  const persistence = report.persistenceAudit;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load run ${esc(report.runId)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#111827;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
small{color:#6b7280;font-weight:normal}table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #e5e7eb;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#15803d}.fail{color:#b91c1c;font-weight:600}
.verdict{font-size:18px;font-weight:700}svg{display:block;margin:12px 0;max-width:100%;height:auto}
svg .title{font-size:13px;font-weight:600;fill:#111827}svg .tick{font-size:10px;fill:#6b7280}svg .legend{font-size:11px;fill:#374151}
svg .grid{stroke:#e5e7eb;stroke-width:1}pre{background:#f3f4f6;padding:8px;overflow:auto;font-size:12px}
</style></head><body>
<h1>Load run ${esc(report.runId)}</h1>
<p>Profile <b>${esc(report.profile)}</b>, started ${esc(report.startedAt.toISOString())}, on ${esc(report.machine)}.</p>
<p class="verdict ${report.ok ? 'ok' : 'fail'}">${report.ok ? 'PASSED' : 'FAILED'}</p>
<h2>Headline figures</h2>
${htmlTable([['figure', 'this run', 'design target', 'same-run reference'], ...report.headline.map((h) => [h.label, h.value, h.target, h.reference ?? ''])])}
<h2>Audit</h2>
<ul class="checks">${audit}<li class="${persistence.ran ? (persistence.ok ? 'ok' : 'fail') : ''}">${persistence.ran ? (persistence.ok ? 'ok' : 'FAIL') : 'skipped'}: npm run audit (Redis vs PostgreSQL)</li></ul>
${persistence.output ? `<pre>${esc(persistence.output)}</pre>` : ''}
${writer}
${sections.join('\n')}
${report.runtimeSummary.length ? `<h2>Local runtime at shutdown</h2><pre>${esc(report.runtimeSummary.join('\n'))}</pre>` : ''}
</body></html>
`;
}
