import { existsSync, statSync } from 'node:fs';
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
  /** Extra form fields sent with every photo (--field name=value, repeatable). */
  readonly fields: Readonly<Record<string, string>>;
  /** Where to write the raw summary as JSON. */
  readonly json?: string;
  /** A previous --json file to print the deltas against. */
  readonly compare?: string;
}

export const USAGE = `usage: npm run loadtest -- --url <base> [--key <key>] (--rate <N>/s | --concurrency <N>)
  [--duration 60s] [--endpoint landmarks|effects/<id>] [--field name=value]... [--images <dir>]
  [--report <file.html>] [--json <file.json>] [--compare <previous.json>]
  [--max-p99 <ms>] [--max-error-rate <0..1 or N%>] [--timeout 30s] [--ignore-retry-after] [--max-outstanding 256]
  (--help for every option)`;

export const HELP = `mayfly load tester: offers load to a running mayfly, prints a live progress line and a
summary, and can write an HTML report and a JSON summary.

${USAGE.replace(/\n {2}\(--help for every option\)$/, '')}

  -h, --help              This text.

Target
  --url <base>            Base URL of the service, e.g. http://127.0.0.1:8080 (required).
  --key <key>             API key, sent as "Authorization: Bearer <key>".
  --endpoint <path>       landmarks (default) or effects/<template id>, under /v1/.
  --field name=value      A form field sent with every photo, e.g. --field maxSize=512 for an
                          effect; repeat for several fields. The photo itself is the field "image".
  --images <dir>          Folder of .jpg/.jpeg/.png/.webp/.avif photos, sent in turn
                          (default: face-api's six sample photos).

Load (give exactly one of --rate or --concurrency)
  --rate <N>/s            Open loop: N requests per second whatever the service does; latency
                          counts from when each request was due, so queueing shows.
  --concurrency <N>       Closed loop: N clients, each sending its next request when the
                          previous answer arrived.
  --duration <time>       How long to send, e.g. 60s (default), 2m, 500ms.
  --timeout <time>        Client-side limit for one request (default 30s); longer counts as an error.
  --ignore-retry-after    Closed loop: do not wait the Retry-After of a 503 before the next request.
  --max-outstanding <N>   Open loop: most requests in flight at once (default 256); a request due
                          beyond it is counted as the error client_saturated.

Output
  --report <file.html>    A self-contained HTML report: summary, latency over time, throughput
                          over time, latency histogram (2xx and errors apart).
  --json <file.json>      The raw summary (settings, counts, rates, percentiles, per-second
                          throughput) as JSON, for scripts and for --compare.
  --compare <prev.json>   Print this run's changes against a previous --json file.

Thresholds (exit 1 when broken)
  --max-p99 <ms>          Largest acceptable p99 latency of all answers (ms, or e.g. 2s).
  --max-error-rate <r>    Largest acceptable share of non-2xx answers and transport errors,
                          0..1 or a percentage (e.g. 1%).

Exit codes
  0  the run finished and every given threshold held
  1  a threshold was broken
  2  usage error (bad option, missing --images folder, unreadable --compare file)
  3  stopped early or failed: the first answers showed a configuration error (401, 403, 404,
     connection refused: wrong --key, --url or --endpoint), or every request failed`;

export class HelpRequested extends Error {}

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
      field: { type: 'string', multiple: true, default: [] }, json: { type: 'string' }, compare: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new HelpRequested();
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
  const fields: Record<string, string> = {};
  for (const field of values.field) {
    const at = field.indexOf('=');
    const name = at > 0 ? field.slice(0, at) : '';
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === 'image') {
      problems.push(`--field must look like name=value (a form field other than "image"), got ${JSON.stringify(field)}`);
    } else fields[name] = field.slice(at + 1);
  }
  // Missing files are one-line errors: the command line itself was well formed.
  const missing: string[] = [];
  if (values.images !== undefined && !(existsSync(values.images) && statSync(values.images).isDirectory())) {
    missing.push(`--images: no such folder: ${values.images}`);
  }
  if (values.compare !== undefined && !existsSync(values.compare)) missing.push(`--compare: no such file: ${values.compare}`);
  if (problems.length > 0) throw new UsageError(`${[...problems, ...missing].join('\n')}\n${USAGE}`);
  if (missing.length > 0) throw new UsageError(missing.join('\n'));
  return {
    url, mode, durationMs, endpoint, path: `/v1/${endpoint}`, timeoutMs, maxOutstanding, fields,
    honourRetryAfter: !values['ignore-retry-after'],
    ...(values.key ? { key: values.key } : {}),
    ...(values.images ? { images: values.images } : {}),
    ...(values.report ? { report: values.report } : {}),
    ...(values.json ? { json: values.json } : {}),
    ...(values.compare ? { compare: values.compare } : {}),
    ...(maxP99Ms !== undefined ? { maxP99Ms } : {}),
    ...(maxErrorRate !== undefined ? { maxErrorRate } : {}),
  };
}
