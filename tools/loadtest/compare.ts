import type { Summary } from './stats.js';

/** What `--json FILE` writes, and what `--compare FILE` reads back. */
export interface SummaryFile {
  readonly tool: 'mayfly-loadtest';
  readonly version: 1;
  readonly settings: Record<string, string>;
  readonly summary: Summary;
  readonly timeline: readonly { second: number; ok: number; failed: number }[];
  /** Why the run stopped before its duration, if it did. */
  readonly stoppedEarly?: string;
}

/** JSON has no NaN (an empty percentile): it is written as null and read back as NaN. */
export function summaryFileJson(file: SummaryFile): string {
  return `${JSON.stringify(file, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

export function parseSummaryFile(text: string, name: string): SummaryFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_key, value: unknown) => (value === null ? Number.NaN : value));
  } catch {
    throw new Error(`${name} is not JSON`);
  }
  const file = parsed as Partial<SummaryFile> | null;
  if (file?.tool !== 'mayfly-loadtest' || file.version !== 1 || typeof file.summary !== 'object') {
    throw new Error(`${name} is not a summary written by --json`);
  }
  return file as SummaryFile;
}

type Row = [label: string, pick: (s: Summary) => number, unit: string, better: 'higher' | 'lower'];
const ROWS: Row[] = [
  ['throughput', (s) => s.throughput, '/s', 'higher'],
  ['2xx/s', (s) => s.okThroughput, '/s', 'higher'],
  ['p50', (s) => s.latency.p50, ' ms', 'lower'],
  ['p90', (s) => s.latency.p90, ' ms', 'lower'],
  ['p95', (s) => s.latency.p95, ' ms', 'lower'],
  ['p99', (s) => s.latency.p99, ' ms', 'lower'],
  ['p99.9', (s) => s.latency.p999, ' ms', 'lower'],
  ['max', (s) => s.latency.max, ' ms', 'lower'],
  ['2xx p99', (s) => s.okLatency.p99, ' ms', 'lower'],
  ['error rate', (s) => s.errorRate * 100, ' %', 'lower'],
];

/**
 * One line per figure: previous, now, the change and its share of the previous value, marked
 * "better" or "worse" by the figure's direction. A figure missing on either side shows "-".
 */
export function compareSummaries(previous: Summary, now: Summary): string[] {
  const fmt = (v: number, unit: string): string => (Number.isFinite(v) ? `${v.toFixed(unit === ' ms' ? 0 : 2)}${unit}` : '-');
  const lines = [`${'figure'.padEnd(12)} ${'previous'.padStart(12)} ${'now'.padStart(12)} ${'change'.padStart(12)}`];
  for (const [label, pick, unit, better] of ROWS) {
    const a = pick(previous);
    const b = pick(now);
    let change = '-';
    if (Number.isFinite(a) && Number.isFinite(b)) {
      const delta = b - a;
      const share = a !== 0 ? ` (${delta >= 0 ? '+' : ''}${((delta / a) * 100).toFixed(1)} %)` : '';
      const verdict = delta === 0 ? '' : (delta > 0) === (better === 'higher') ? ' better' : ' worse';
      change = `${delta >= 0 ? '+' : ''}${fmt(delta, unit)}${share}${verdict}`;
    }
    lines.push(`${label.padEnd(12)} ${fmt(a, unit).padStart(12)} ${fmt(b, unit).padStart(12)} ${change.padStart(12)}`);
  }
  return lines;
}
