import { parseArgs } from 'node:util';

/** The load test's command line, parsed and checked; every problem is reported at once. */
export interface LoadtestOptions {
  readonly url: string;
  readonly key?: string;
  readonly mode: { kind: 'open'; rate: number } | { kind: 'closed'; concurrency: number };
  readonly durationMs: number;
  /** Path under the base URL: /v1/landmarks or /v1/effects/<id>. */
  readonly path: string;
  readonly endpoint: string;
  readonly images?: string;
  readonly report?: string;
  readonly maxP99Ms?: number;
  readonly maxErrorRate?: number;
  readonly timeoutMs: number;
  readonly honourRetryAfter: boolean;
  readonly maxOutstanding: number;
}

export const USAGE = `usage: npm run loadtest -- --url <base> [--key <key>] (--rate <N>/s | --concurrency <N>)
  [--duration 60s] [--endpoint landmarks|effects/<id>] [--images <dir>] [--report <file.html>]
  [--max-p99 <ms>] [--max-error-rate <0..1 or N%>] [--timeout 30s] [--ignore-retry-after] [--max-outstanding 256]`;

export class UsageError extends Error {}

/** "60s", "2m", "500ms" or a plain number of seconds → ms. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'ms' ? value : match[2] === 'm' ? value * 60_000 : value * 1000;
}

export function parseOptions(argv: readonly string[]): LoadtestOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string' }, key: { type: 'string' }, rate: { type: 'string' }, concurrency: { type: 'string' },
      duration: { type: 'string', default: '60s' }, endpoint: { type: 'string', default: 'landmarks' },
      images: { type: 'string' }, report: { type: 'string' }, 'max-p99': { type: 'string' },
      'max-error-rate': { type: 'string' }, timeout: { type: 'string', default: '30s' },
      'ignore-retry-after': { type: 'boolean', default: false }, 'max-outstanding': { type: 'string', default: '256' },
    },
  });
  const problems: string[] = [];
  let url = '';
  try {
    const parsed = new URL(values.url ?? '');
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    url = parsed.href.replace(/\/+$/, '');
  } catch {
    problems.push('--url must be an http(s) base URL, e.g. http://127.0.0.1:8080');
  }
  let mode: LoadtestOptions['mode'] = { kind: 'closed', concurrency: 1 };
  if ((values.rate === undefined) === (values.concurrency === undefined)) {
    problems.push('give exactly one of --rate <N>/s (open loop) or --concurrency <N> (closed loop)');
  } else if (values.rate !== undefined) {
    const rate = Number(values.rate.replace(/\/s$/, ''));
    if (!(rate > 0)) problems.push('--rate must be a positive number of requests per second');
    mode = { kind: 'open', rate };
  } else {
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) problems.push('--concurrency must be a positive integer');
    mode = { kind: 'closed', concurrency };
  }
  const durationMs = parseDuration(values.duration);
  if (!(durationMs > 0)) problems.push('--duration must look like 60s, 2m or 500ms');
  const timeoutMs = parseDuration(values.timeout);
  if (!(timeoutMs > 0)) problems.push('--timeout must look like 30s or 500ms');
  const endpoint = values.endpoint.replace(/^\/+/, '');
  if (!/^(landmarks|effects\/[A-Za-z0-9_-]+)$/.test(endpoint)) problems.push('--endpoint must be landmarks or effects/<id>');
  let maxP99Ms: number | undefined;
  if (values['max-p99'] !== undefined) {
    maxP99Ms = parseDuration(values['max-p99'].endsWith('s') ? values['max-p99'] : `${values['max-p99']}ms`);
    if (!(maxP99Ms > 0)) problems.push('--max-p99 must be a number of milliseconds (or 2s)');
  }
  let maxErrorRate: number | undefined;
  if (values['max-error-rate'] !== undefined) {
    const raw = values['max-error-rate'];
    maxErrorRate = raw.endsWith('%') ? Number(raw.slice(0, -1)) / 100 : Number(raw);
    if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) problems.push('--max-error-rate must be between 0 and 1 (or 0%–100%)');
  }
  const maxOutstanding = Number(values['max-outstanding']);
  if (!Number.isInteger(maxOutstanding) || maxOutstanding < 1) problems.push('--max-outstanding must be a positive integer');
  if (problems.length > 0) throw new UsageError(`${problems.join('\n')}\n${USAGE}`);
  return {
    url, mode, durationMs, endpoint, path: `/v1/${endpoint}`, timeoutMs, maxOutstanding,
    honourRetryAfter: !values['ignore-retry-after'],
    ...(values.key ? { key: values.key } : {}),
    ...(values.images ? { images: values.images } : {}),
    ...(values.report ? { report: values.report } : {}),
    ...(maxP99Ms !== undefined ? { maxP99Ms } : {}),
    ...(maxErrorRate !== undefined ? { maxErrorRate } : {}),
  };
}
