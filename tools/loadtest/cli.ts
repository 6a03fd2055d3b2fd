import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compareSummaries, parseSummaryFile, summaryFileJson, type SummaryFile } from './compare.js';
import { EarlyStop } from './early-stop.js';
import { mediaTypeOf, multipartBody, type PreparedBody } from './multipart.js';
import { HELP, HelpRequested, parseOptions, UsageError, type LoadtestOptions } from './options.js';
import { renderReport } from './report-html.js';
import { runClosedLoop, runOpenLoop } from './runner.js';
import { percentilesOf, summarise, throughputTimeline, type Sample, type Summary } from './stats.js';

/**
 * `npm run loadtest -- --url … (--rate N/s | --concurrency N) …`: offers load to a running
 * mayfly (local or remote), prints a live progress line and a summary, writes an HTML report
 * and a JSON summary, compares with a previous one, and exits 1 when a --max-p99 /
 * --max-error-rate threshold is broken, 2 on usage errors, 3 when it stopped early on a
 * configuration error or every request failed (`--help` says it all).
 */
function loadImages(dir: string | undefined, fields: Readonly<Record<string, string>>): PreparedBody[] {
  // Default: face-api's six sample photos (its demo folder also holds screenshots).
  const folder = dir ?? join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
  const names = readdirSync(folder).filter((n) => (dir ? mediaTypeOf(n) : /^sample\d+\.jpg$/.test(n))).sort();
  if (names.length === 0) throw new UsageError(`no .jpg/.jpeg/.png/.webp/.avif files in ${folder}`);
  return names.map((n) => multipartBody(n, readFileSync(join(folder, n)), fields));
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
    ['latency all  p50/p90/p95/p99/p99.9/max', [summary.latency.p50, summary.latency.p90, summary.latency.p95, summary.latency.p99, summary.latency.p999, summary.latency.max].map(ms).join(' / ') + ' ms'],
    ['latency 2xx  p50/p90/p95/p99/p99.9/max', [summary.okLatency.p50, summary.okLatency.p90, summary.okLatency.p95, summary.okLatency.p99, summary.okLatency.p999, summary.okLatency.max].map(ms).join(' / ') + ' ms'],
    ['status codes', Object.entries(summary.statuses).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'],
    ['errors', Object.entries(summary.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'],
    ['error rate', `${(summary.errorRate * 100).toFixed(2)} %`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(40)} ${v}`);
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
  let previous: SummaryFile | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
    bodies = loadImages(options.images, options.fields);
    if (options.compare) previous = parseSummaryFile(readFileSync(options.compare, 'utf8'), options.compare);
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(HELP);
      return 0;
    }
    // One line (or the list of usage problems), never a stack trace.
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const headers: Record<string, string> = options.key ? { authorization: `Bearer ${options.key}` } : {};
  const modeText = options.mode.kind === 'open'
    ? `open loop, ${options.mode.rate} req/s (latency counted from when each request was due)`
    : `closed loop, ${options.mode.concurrency} clients${options.honourRetryAfter ? ' (honouring Retry-After)' : ''}`;
  const fieldText = Object.keys(options.fields).length ? `, fields ${Object.entries(options.fields).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
  console.log(`loadtest ${options.url}${options.path}: ${modeText}, ${options.durationMs / 1000} s, ${bodies.length} image(s)${fieldText}`);
  const live = progress(options);
  // The first answers decide whether the run measures the service or a mistake in its settings.
  const stop = new AbortController();
  const early = new EarlyStop();
  const onSample = (sample: Sample): void => {
    live.onSample(sample);
    if (!stop.signal.aborted && early.observe(sample) !== undefined) stop.abort();
  };
  const startedAt = new Date();
  const target = { url: options.url, path: options.path, bodies, headers, requestTimeoutMs: options.timeoutMs, onSample, signal: stop.signal };
  const run = options.mode.kind === 'open'
    ? await runOpenLoop({ ...target, rate: options.mode.rate, durationMs: options.durationMs, maxOutstanding: options.maxOutstanding })
    : await runClosedLoop({ ...target, concurrency: options.mode.concurrency, durationMs: options.durationMs, honourRetryAfter: options.honourRetryAfter });
  live.stop();
  const summary = summarise(run.samples, run.durationMs);
  printSummary(summary);
  const stoppedEarly = early.reason !== undefined ? `the first ${run.samples.length} answers: ${early.reason}` : undefined;
  const settings = {
    url: options.url, endpoint: options.path, mode: modeText, duration: `${options.durationMs / 1000} s`,
    images: String(bodies.length), fields: Object.entries(options.fields).map(([k, v]) => `${k}=${v}`).join(' ') || '-',
    started: startedAt.toISOString(),
  };
  if (options.report) {
    writeFileSync(options.report, renderReport({
      title: `mayfly load test: ${options.path}`, settings, summary, samples: run.samples, windowMs: run.durationMs,
      ...(stoppedEarly ? { stoppedEarly } : {}),
    }));
    console.log(`report written to ${options.report}`);
  }
  if (options.json) {
    const file: SummaryFile = {
      tool: 'mayfly-loadtest', version: 1, settings, summary, timeline: throughputTimeline(run.samples, run.durationMs),
      ...(stoppedEarly ? { stoppedEarly } : {}),
    };
    writeFileSync(options.json, summaryFileJson(file));
    console.log(`summary written to ${options.json}`);
  }
  if (previous) {
    console.log(`compared with ${options.compare} (${previous.settings.started ?? 'unknown start'}, ${previous.settings.mode ?? ''}):`);
    for (const line of compareSummaries(previous.summary, summary)) console.log(`  ${line}`);
  }
  if (stoppedEarly) {
    console.error(`stopped early, ${stoppedEarly}`);
    return 3;
  }
  const ok = Object.entries(summary.statuses).filter(([status]) => status.startsWith('2')).reduce((n, [, c]) => n + c, 0);
  if (summary.requests > 0 && ok === 0) {
    console.error(`every request failed (${summary.requests} sent, none answered 2xx)`);
    return 3;
  }
  const broken = brokenThresholds(summary, options);
  for (const line of broken) console.error(`threshold broken: ${line}`);
  return broken.length > 0 ? 1 : 0;
}

process.exitCode = await main();
