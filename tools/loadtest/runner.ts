import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { PreparedBody } from './multipart.js';
import type { Sample } from './stats.js';

/**
 * The two ways of offering load, over undici's connection pool (keep-alive HTTP/1.1):
 *
 * - closed loop: N clients, each sends its next request when the previous answer arrived. It
 *   measures what the service does for N concurrent users, but it slows down with the service,
 *   so it hides queueing delay (coordinated omission).
 * - open loop: requests are due at a constant rate whatever the service does; latency is counted
 *   from when a request was *due*, so time spent waiting for a free connection or behind a slow
 *   answer is counted too. This is the honest measure of queueing under a given arrival rate.
 */
export interface LoadTarget {
  readonly url: string;
  /** e.g. /v1/landmarks or /v1/effects/<id> */
  readonly path: string;
  readonly bodies: readonly PreparedBody[];
  readonly headers?: Record<string, string>;
  /** Per-request limit on the client side (ms); a request running longer counts as an error. */
  readonly requestTimeoutMs?: number;
}

export interface RunHooks {
  onSample?(sample: Sample): void;
  /** Stops sending when aborted (answers already on their way are still awaited and recorded). */
  readonly signal?: AbortSignal;
}

export interface ClosedLoopOptions extends LoadTarget, RunHooks {
  readonly concurrency: number;
  readonly durationMs: number;
  /** After a 503 with Retry-After, a client waits that long (capped) before its next request. */
  readonly honourRetryAfter?: boolean;
}

export interface OpenLoopOptions extends LoadTarget, RunHooks {
  /** Requests per second. */
  readonly rate: number;
  readonly durationMs: number;
  /** Most requests outstanding at once; a due request beyond it is recorded as 'client_saturated'. */
  readonly maxOutstanding?: number;
}

export interface RunResult {
  readonly samples: Sample[];
  /** Length of the sending window in ms (throughput counts answers within it); shorter than asked when stopped. */
  readonly durationMs: number;
}

function errorName(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string') return e.code;
  if (e && typeof e.name === 'string') return e.name;
  return 'error';
}

class Sender {
  private next = 0;
  readonly pool: Pool;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(private readonly target: LoadTarget, connections: number) {
    const url = new URL(target.url);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, { connections, keepAliveTimeout: 10_000, pipelining: 1 });
  }

  /** Sends one request with the next body; resolves with status and Retry-After, never rejects. */
  async send(): Promise<{ status: number; retryAfterS?: number; error?: string }> {
    const prepared = this.target.bodies[this.next++ % this.target.bodies.length]!;
    const timeout = this.target.requestTimeoutMs ?? 120_000;
    try {
      const res = await this.pool.request({
        path: `${this.basePath}${this.target.path}`,
        method: 'POST',
        headers: { ...this.target.headers, 'content-type': prepared.contentType },
        body: prepared.body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      await res.body.dump({ limit: 64 * 1024 * 1024 });
      const retry = Number(res.headers['retry-after']);
      return { status: res.statusCode, ...(Number.isFinite(retry) ? { retryAfterS: retry } : {}) };
    } catch (error) {
      return { status: 0, error: errorName(error) };
    }
  }
}

export async function runClosedLoop(options: ClosedLoopOptions): Promise<RunResult> {
  const sender = new Sender(options, options.concurrency);
  const samples: Sample[] = [];
  const t0 = performance.now();
  const end = t0 + options.durationMs;
  const client = async (): Promise<void> => {
    while (performance.now() < end && !options.signal?.aborted) {
      const started = performance.now();
      const answer = await sender.send();
      const sample: Sample = {
        start: started - t0, latencyMs: performance.now() - started, status: answer.status,
        ...(answer.error ? { error: answer.error } : {}),
      };
      samples.push(sample);
      options.onSample?.(sample);
      if (options.honourRetryAfter && answer.status === 503 && answer.retryAfterS !== undefined) {
        const wait = Math.min(answer.retryAfterS * 1000, end - performance.now());
        if (wait > 0) await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  await sender.pool.close();
  return { samples, durationMs: options.signal?.aborted ? Math.max(1, Math.min(options.durationMs, performance.now() - t0)) : options.durationMs };
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<RunResult> {
  const maxOutstanding = options.maxOutstanding ?? 256;
  const sender = new Sender(options, maxOutstanding);
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / options.rate;
  const total = Math.floor((options.durationMs / 1000) * options.rate);
  const t0 = performance.now();
  const record = (sample: Sample): void => {
    samples.push(sample);
    options.onSample?.(sample);
  };
  let stoppedAt: number | undefined;
  for (let i = 0; i < total; i++) {
    const due = i * interval;
    const wait = t0 + due - performance.now();
    if (wait > 1) await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted) {
      stoppedAt = performance.now() - t0;
      break;
    }
    if (inFlight.size >= maxOutstanding) {
      record({ start: due, latencyMs: 0, status: 0, error: 'client_saturated' });
      continue;
    }
    const job = sender.send().then((answer) => {
      // Latency from when the request was due, not from when it went out (no coordinated omission).
      record({
        start: due, latencyMs: performance.now() - (t0 + due), status: answer.status,
        ...(answer.error ? { error: answer.error } : {}),
      });
    });
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  }
  await Promise.all(inFlight);
  await sender.pool.close();
  return { samples, durationMs: stoppedAt !== undefined ? Math.max(1, Math.min(options.durationMs, stoppedAt)) : options.durationMs };
}
