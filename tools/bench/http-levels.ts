import { Pool } from 'undici';
import type { PreparedBody } from '../loadtest/multipart.js';
import { runClosedLoop } from '../loadtest/runner.js';
import { summarise, type Summary } from '../loadtest/stats.js';
import type { ServerProcess } from './server-process.js';

export interface LevelResult {
  readonly concurrency: number;
  readonly summary: Summary;
  /** Highest VmRSS sampled every 100 ms during the level, and VmHWM after it (MB). */
  readonly peakRssMb: number;
  readonly hwmMb: number;
  /** Server CPU time (all threads) during the level divided by its 2xx answers, in ms. */
  readonly cpuMsPerOk: number;
  /**
   * The same for the `workers` busiest threads of the level alone: the inference workers (each
   * keeps most of a core busy; the next busiest thread, libvips or the event loop, far less).
   * The same model on the same photos costs about the floor's detect time per answer; much more
   * means the machine ran it slower (shared caches and memory), not that the service did more.
   */
  readonly inferenceCpuMsPerOk: number;
  /** CPU used during the level, in % of one core: the server's, and this load generator's. */
  readonly serverCpuPct: number;
  readonly generatorCpuPct: number;
}

/**
 * One closed-loop level against the running server, with its memory sampled throughout. Rates
 * count the answers from `rampMs` on (the level starts on an empty service); CPU is the server's
 * over the whole level, per 2xx answer over the whole level.
 */
export async function runLevel(
  server: ServerProcess, path: string, bodies: readonly PreparedBody[], concurrency: number,
  durationMs: number, headers: Record<string, string>, rampMs = 0, workers = 2,
): Promise<LevelResult> {
  let peakRssMb = server.memory().rssMb;
  const cpuBefore = server.cpuMs();
  const threadsBefore = server.threadCpuMs();
  const generatorBefore = process.cpuUsage();
  const sampler = setInterval(() => { peakRssMb = Math.max(peakRssMb, server.memory().rssMb); }, 100);
  try {
    const run = await runClosedLoop({
      url: server.url, path, bodies, headers, concurrency, durationMs, honourRetryAfter: true,
    });
    peakRssMb = Math.max(peakRssMb, server.memory().rssMb);
    const ok = run.samples.filter((x) => x.status >= 200 && x.status < 300).length;
    const serverCpuMs = server.cpuMs() - cpuBefore;
    const threadCpuMs = [...server.threadCpuMs()].map(([tid, ms]) => ms - (threadsBefore.get(tid) ?? 0)).sort((a, b) => b - a);
    const inferenceCpuMs = threadCpuMs.slice(0, workers).reduce((sum, ms) => sum + ms, 0);
    const generator = process.cpuUsage(generatorBefore);
    return {
      concurrency, summary: summarise(run.samples, run.durationMs, rampMs), peakRssMb, hwmMb: server.memory().hwmMb,
      cpuMsPerOk: serverCpuMs / ok,
      inferenceCpuMsPerOk: inferenceCpuMs / ok,
      serverCpuPct: (100 * serverCpuMs) / run.durationMs,
      generatorCpuPct: (100 * (generator.user + generator.system)) / 1000 / run.durationMs,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** One request, timed; the answer's status and `code` (for problem+json) come back too. */
export async function timedRequest(
  pool: Pool, path: string, body: PreparedBody, headers: Record<string, string>,
): Promise<{ ms: number; status: number; code?: string }> {
  const started = performance.now();
  const res = await pool.request({
    path, method: 'POST', headers: { ...headers, 'content-type': body.contentType }, body: body.body,
  });
  const text = await res.body.text();
  const ms = performance.now() - started;
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { ms, status: res.statusCode, ...(code ? { code } : {}) };
}

/** First request right after /readyz turned 200, then `steady` more in a row: their median. */
export async function measureWarmUp(
  server: ServerProcess, path: string, body: PreparedBody, headers: Record<string, string>, steady = 6,
): Promise<{ firstMs: number; steadyMs: number; firstStatus: number }> {
  const pool = new Pool(server.url, { connections: 1 });
  try {
    const first = await timedRequest(pool, path, body, headers);
    const times: number[] = [];
    for (let i = 0; i < steady; i++) times.push((await timedRequest(pool, path, body, headers)).ms);
    times.sort((a, b) => a - b);
    return { firstMs: first.ms, steadyMs: times[Math.floor(times.length / 2)]!, firstStatus: first.status };
  } finally {
    await pool.close();
  }
}
