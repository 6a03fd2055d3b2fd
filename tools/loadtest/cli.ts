import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mediaTypeOf, multipartBody, type PreparedBody } from './multipart.js';
import { parseOptions, UsageError, type LoadtestOptions } from './options.js';
import { renderReport } from './report-html.js';
import { runClosedLoop, runOpenLoop } from './runner.js';
import { percentilesOf, summarise, type Sample, type Summary } from './stats.js';

/**
 * `npm run loadtest -- --url … (--rate N/s | --concurrency N) …`: offers load to a running
 * mayfly (local or remote), prints a live progress line and a summary, writes an HTML report,
 * and exits 1 when a --max-p99 / --max-error-rate threshold is broken (2 on usage errors).
 */
function loadImages(dir: string | undefined): PreparedBody[] {
  // Default: face-api's six sample photos (its demo folder also holds screenshots).
  const folder = dir ?? join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
  const names = readdirSync(folder).filter((n) => (dir ? mediaTypeOf(n) : /^sample\d+\.jpg$/.test(n))).sort();
  if (names.length === 0) throw new UsageError(`no .jpg/.jpeg/.png/.webp/.avif files in ${folder}`);
  return names.map((n) => multipartBody(n, readFileSync(join(folder, n))));
}

function progress(options: LoadtestOptions): { onSample(sample: Sample): void; stop(): void } {
  const started = performance.now();
  const window: Sample[] = [];
  let done = 0;
  let ok = 0;
  let failed = 0;
  const tty = process.stderr.isTTY;
  let ticks = 0;
  const timer = setInterval(() => {
    const recent = percentilesOf(window.splice(0).filter((s) => s.status !== 0).map((s) => s.latencyMs));
    const line = `[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s/${(options.durationMs / 1000).toFixed(0)}s] ` +
      `done ${done}  2xx ${ok}  other ${failed}  last 1s p50 ${Number.isFinite(recent.p50) ? recent.p50.toFixed(0) : '-'} ms ` +
      `p99 ${Number.isFinite(recent.p99) ? recent.p99.toFixed(0) : '-'} ms`;
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (++ticks % 5 === 0) process.stderr.write(`${line}\n`);
  }, 1000);
  return {
    onSample(sample) {
      done++;
      if (sample.status >= 200 && sample.status < 300) ok++;
      else failed++;
      window.push(sample);
    },
    stop() {
      clearInterval(timer);
      if (tty) process.stderr.write('\n');
    },
  };
}

function printSummary(summary: Summary): void {
  const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '-');
  const rows: [string, string][] = [
    ['requests', String(summary.requests)],
    ['throughput', `${summary.throughput.toFixed(2)} answers/s (${summary.okThroughput.toFixed(2)} 2xx/s)`],
    ['latency all  p50/p90/p99/max', [summary.latency.p50, summary.latency.p90, summary.latency.p99, summary.latency.max].map(ms).join(' / ') + ' ms'],
    ['latency 2xx  p50/p90/p99/max', [summary.okLatency.p50, summary.okLatency.p90, summary.okLatency.p99, summary.okLatency.max].map(ms).join(' / ') + ' ms'],
    ['status codes', Object.entries(summary.statuses).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'],
    ['errors', Object.entries(summary.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'],
    ['error rate', `${(summary.errorRate * 100).toFixed(2)} %`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(30)} ${v}`);
}

/** Threshold verdicts; an empty list means every given threshold held. */
export function brokenThresholds(summary: Summary, options: LoadtestOptions): string[] {
  const broken: string[] = [];
  if (options.maxP99Ms !== undefined && !(summary.latency.p99 <= options.maxP99Ms)) {
    broken.push(`p99 ${summary.latency.p99.toFixed(0)} ms > --max-p99 ${options.maxP99Ms} ms`);
  }
  if (options.maxErrorRate !== undefined && summary.errorRate > options.maxErrorRate) {
    broken.push(`error rate ${(summary.errorRate * 100).toFixed(2)} % > --max-error-rate ${(options.maxErrorRate * 100).toFixed(2)} %`);
  }
  return broken;
}

async function main(): Promise<number> {
  let options: LoadtestOptions;
  let bodies: PreparedBody[];
  try {
    options = parseOptions(process.argv.slice(2));
    bodies = loadImages(options.images);
  } catch (error) {
    console.error(error instanceof UsageError || error instanceof TypeError ? error.message : error);
    return 2;
  }
  const headers: Record<string, string> = options.key ? { authorization: `Bearer ${options.key}` } : {};
  const modeText = options.mode.kind === 'open'
    ? `open loop, ${options.mode.rate} req/s (latency counted from when each request was due)`
    : `closed loop, ${options.mode.concurrency} clients${options.honourRetryAfter ? ' (honouring Retry-After)' : ''}`;
  console.log(`loadtest ${options.url}${options.path}: ${modeText}, ${options.durationMs / 1000} s, ${bodies.length} image(s)`);
  const live = progress(options);
  const target = { url: options.url, path: options.path, bodies, headers, requestTimeoutMs: options.timeoutMs, onSample: live.onSample };
  const run = options.mode.kind === 'open'
    ? await runOpenLoop({ ...target, rate: options.mode.rate, durationMs: options.durationMs, maxOutstanding: options.maxOutstanding })
    : await runClosedLoop({ ...target, concurrency: options.mode.concurrency, durationMs: options.durationMs, honourRetryAfter: options.honourRetryAfter });
  live.stop();
  const summary = summarise(run.samples, run.durationMs);
  printSummary(summary);
  if (options.report) {
    writeFileSync(options.report, renderReport({
      title: `mayfly load test: ${options.path}`,
      settings: {
        url: options.url, endpoint: options.path, mode: modeText, duration: `${options.durationMs / 1000} s`,
        images: String(bodies.length), started: new Date(Date.now() - options.durationMs).toISOString(),
      },
      summary,
      samples: run.samples,
    }));
    console.log(`report written to ${options.report}`);
  }
  const broken = brokenThresholds(summary, options);
  for (const line of broken) console.error(`threshold broken: ${line}`);
  return broken.length > 0 ? 1 : 0;
}

process.exitCode = await main();
