import { throughputTimeline, type Sample, type Summary } from './stats.js';

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, no CDN): the summary table,
 * latency over time (one dot per request, coloured by outcome), throughput over time (answers per
 * second, 2xx and the rest stacked) and a latency histogram (2xx and errors stacked).
 */
export interface ReportInput {
  readonly title: string;
  readonly settings: Record<string, string>;
  readonly summary: Summary;
  readonly samples: readonly Sample[];
  /** The sending window (ms), the span of the throughput chart. */
  readonly windowMs: number;
  /** Why the run stopped before its duration, if it did. */
  readonly stoppedEarly?: string;
}

const OK = '#2e7d32';
const FAILED = '#c62828';

const W = 900;
const H = 280;
const PAD = { left: 60, right: 16, top: 16, bottom: 40 };

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function colourOf(sample: Sample): string {
  if (sample.status === 0) return '#7b1fa2';
  if (sample.status < 300) return '#2e7d32';
  if (sample.status === 503) return '#ef6c00';
  return '#c62828';
}

/** The smallest round number ≥ value, in steps fine enough that the data fills most of an axis (a 60 s run: 60, not 100). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** An axis end for a count: niceMax rounded up to a multiple of 5, so all five ticks are whole numbers. */
export function countMax(value: number): number {
  return Math.ceil(niceMax(value) / 5) * 5;
}

/** A tick label: whole numbers as such, the rest (fifths of 1.5, 2.5, …) with one decimal. */
export function tick(value: number): string {
  return Math.abs(value - Math.round(value)) < 1e-9 ? String(Math.round(value)) : value.toFixed(1);
}

function axes(xMax: number, yMax: number, xLabel: string, yLabel: string): string {
  const parts: string[] = [];
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  for (let i = 0; i <= 5; i++) {
    const y = PAD.top + plotH - (plotH * i) / 5;
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${esc(tick((yMax * i) / 5))}</text>`);
    const x = PAD.left + (plotW * i) / 5;
    parts.push(`<text x="${x}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(tick((xMax * i) / 5))}</text>`);
  }
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text x="14" y="${PAD.top + plotH / 2}" transform="rotate(-90 14 ${PAD.top + plotH / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  return parts.join('');
}

export function latencyOverTime(samples: readonly Sample[]): string {
  const answered = samples.filter((s) => s.status !== 0 || s.latencyMs > 0);
  // Dots sit at the time a request was sent (or due), so that is what the axis spans.
  const xMax = niceMax(Math.max(1, ...samples.map((s) => s.start / 1000)));
  const yMax = niceMax(Math.max(1, ...answered.map((s) => s.latencyMs)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const dots = answered.map((s) => {
    const x = PAD.left + (plotW * (s.start / 1000)) / xMax;
    const y = PAD.top + plotH - (plotH * s.latencyMs) / yMax;
    return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2" fill="${colourOf(s)}" fill-opacity="0.6"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="latency over time">` +
    `${axes(xMax, yMax, 'time since start (s, when sent or due)', 'latency (ms)')}${dots.join('')}</svg>`;
}

/** Stacked bars: 2xx at the bottom, everything else (non-2xx, transport errors) above it. */
function stackedBars(pairs: readonly { ok: number; failed: number }[], yMax: number): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const width = plotW / Math.max(1, pairs.length);
  return pairs.map((p, i) => {
    const x = (PAD.left + width * i).toFixed(1);
    const w = Math.max(0.5, width - 1).toFixed(1);
    const okH = (plotH * p.ok) / yMax;
    const failedH = (plotH * p.failed) / yMax;
    const bottom = PAD.top + plotH;
    return (p.ok ? `<rect class="ok" x="${x}" y="${(bottom - okH).toFixed(1)}" width="${w}" height="${okH.toFixed(1)}" fill="${OK}"/>` : '') +
      (p.failed ? `<rect class="failed" x="${x}" y="${(bottom - okH - failedH).toFixed(1)}" width="${w}" height="${failedH.toFixed(1)}" fill="${FAILED}"/>` : '');
  }).join('');
}

/** Latency of the answered requests in `bins` equal bins, 2xx and the other statuses apart. */
export function latencyHistogram(samples: readonly Sample[], bins = 40): string {
  const answered = samples.filter((s) => s.status !== 0);
  const xMax = niceMax(Math.max(1, ...answered.map((s) => s.latencyMs)));
  const counts = Array.from({ length: bins }, () => ({ ok: 0, failed: 0 }));
  for (const s of answered) {
    const bin = counts[Math.min(bins - 1, Math.floor((s.latencyMs / xMax) * bins))]!;
    if (s.status >= 200 && s.status < 300) bin.ok++;
    else bin.failed++;
  }
  const yMax = countMax(Math.max(1, ...counts.map((c) => c.ok + c.failed)));
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="latency histogram">` +
    `${axes(xMax, yMax, 'latency (ms)', 'requests')}${stackedBars(counts, yMax)}</svg>`;
}

/** Answers per second of arrival, 2xx and the rest (non-2xx and transport errors) stacked. */
export function throughputOverTime(samples: readonly Sample[], windowMs: number): string {
  const timeline = throughputTimeline(samples, windowMs);
  const xMax = timeline.length;
  const yMax = countMax(Math.max(1, ...timeline.map((p) => p.ok + p.failed)));
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="throughput over time">` +
    `${axes(xMax, yMax, 'time since start (s, when answered)', 'answers per second')}${stackedBars(timeline, yMax)}</svg>`;
}

function table(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

export function renderReport(input: ReportInput): string {
  const s = input.summary;
  const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '-');
  const rows: [string, string][] = [
    ['requests', String(s.requests)],
    ['throughput (answers/s)', s.throughput.toFixed(2)],
    ['2xx/s', s.okThroughput.toFixed(2)],
    ['latency p50 / p90 / p95 / p99 / p99.9 / max (all answers)', [s.latency.p50, s.latency.p90, s.latency.p95, s.latency.p99, s.latency.p999, s.latency.max].map(ms).join(' / ')],
    ['latency p50 / p90 / p95 / p99 / p99.9 / max (2xx only)', [s.okLatency.p50, s.okLatency.p90, s.okLatency.p95, s.okLatency.p99, s.okLatency.p999, s.okLatency.max].map(ms).join(' / ')],
    ['status codes', Object.entries(s.statuses).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'],
    ['errors', Object.entries(s.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'],
    ['error rate', `${(s.errorRate * 100).toFixed(2)} %`],
    ...(input.stoppedEarly ? [['stopped early', input.stoppedEarly] as [string, string]] : []),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;max-width:960px;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f5f5f5;font-weight:600}svg{width:100%;height:auto;font-size:11px;fill:#444}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head><body>
<h1>${esc(input.title)}</h1>
<h2>Settings</h2>${table(Object.entries(input.settings))}
<h2>Summary</h2>${table(rows)}
<h2>Latency over time</h2>
<p class="legend"><span><i style="background:#2e7d32"></i>2xx</span><span><i style="background:#ef6c00"></i>503</span><span><i style="background:#c62828"></i>other status</span><span><i style="background:#7b1fa2"></i>transport error</span></p>
${latencyOverTime(input.samples)}
<h2>Throughput over time</h2>
<p class="legend"><span><i style="background:${OK}"></i>2xx</span><span><i style="background:${FAILED}"></i>other status or transport error</span></p>
${throughputOverTime(input.samples, input.windowMs)}
<h2>Latency histogram (answered requests)</h2>
<p class="legend"><span><i style="background:${OK}"></i>2xx</span><span><i style="background:${FAILED}"></i>other status</span></p>
${latencyHistogram(input.samples)}
</body></html>
`;
}
