/** One finished request as the load generator saw it. */
export interface Sample {
  /** Milliseconds from the start of the run to when the request was due (open loop) or sent. */
  readonly start: number;
  readonly latencyMs: number;
  /** HTTP status, or 0 when no response arrived (see `error`). */
  readonly status: number;
  readonly error?: string;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface Summary {
  readonly requests: number;
  /** Length of the window the throughput figures count answers in, in seconds. */
  readonly durationS: number;
  /** Answers (any status) per second within the window. */
  readonly throughput: number;
  /** 2xx answers per second within the window. */
  readonly okThroughput: number;
  /** Latency of every answered request, whatever its status. */
  readonly latency: Percentiles;
  /** Latency of the 2xx answers only (a fast 503 would otherwise flatter the figures). */
  readonly okLatency: Percentiles;
  readonly statuses: Record<string, number>;
  readonly errors: Record<string, number>;
  /** (non-2xx answers + transport errors) / requests. */
  readonly errorRate: number;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // Rounded first: 99.9 % of 1000 is 999.0000000000001 in floating point, and rank 999, not 1000.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(Number(((p / 100) * sorted.length).toFixed(9)))));
  return sorted[rank - 1]!;
}

export function percentilesOf(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50), p90: percentile(sorted, 90), p95: percentile(sorted, 95),
    p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/**
 * Throughput counts answers that arrived within the sending window [fromMs, windowMs], so the
 * tail of requests still draining after it neither inflates nor dilutes the rate; latency and
 * status figures cover every request sent. `fromMs` (default 0) leaves out the start of a run,
 * while the first requests are still on their way through an empty service: the bench measures
 * the rate at saturation, which that ramp understates.
 */
export function summarise(samples: readonly Sample[], windowMs: number, fromMs = 0): Summary {
  if (!(fromMs >= 0 && fromMs < windowMs)) throw new RangeError(`summarise: fromMs must be in [0, ${windowMs}), got ${fromMs}`);
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const answered: number[] = [];
  const ok: number[] = [];
  let answeredInWindow = 0;
  let okInWindow = 0;
  for (const s of samples) {
    const answeredAt = s.start + s.latencyMs;
    const inWindow = answeredAt >= fromMs && answeredAt <= windowMs;
    if (s.status === 0) {
      const key = s.error ?? 'error';
      errors[key] = (errors[key] ?? 0) + 1;
      continue;
    }
    statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    answered.push(s.latencyMs);
    if (inWindow) answeredInWindow++;
    if (s.status >= 200 && s.status < 300) {
      ok.push(s.latencyMs);
      if (inWindow) okInWindow++;
    }
  }
  const seconds = (windowMs - fromMs) / 1000;
  return {
    requests: samples.length,
    durationS: seconds,
    throughput: answeredInWindow / seconds,
    okThroughput: okInWindow / seconds,
    latency: percentilesOf(answered),
    okLatency: percentilesOf(ok),
    statuses,
    errors,
    errorRate: samples.length ? (samples.length - ok.length) / samples.length : 0,
  };
}

/** Answers in one second of the run, by outcome. */
export interface TimelinePoint {
  /** Whole seconds since the start: this point counts answers that arrived in [second, second + 1). */
  readonly second: number;
  readonly ok: number;
  /** Non-2xx answers and transport errors. */
  readonly failed: number;
}

/**
 * Throughput over time: answers per second of arrival (start + latency), from 0 to the last
 * second that had an answer or the window's end, whichever is later; empty seconds are zeros.
 */
export function throughputTimeline(samples: readonly Sample[], windowMs: number): TimelinePoint[] {
  const last = Math.max(Math.ceil(windowMs / 1000), ...samples.map((s) => Math.floor((s.start + s.latencyMs) / 1000) + 1));
  const ok = new Array<number>(last).fill(0);
  const failed = new Array<number>(last).fill(0);
  for (const s of samples) {
    const second = Math.max(0, Math.floor((s.start + s.latencyMs) / 1000));
    if (s.status >= 200 && s.status < 300) ok[second]! += 1;
    else failed[second]! += 1;
  }
  return ok.map((n, second) => ({ second, ok: n, failed: failed[second]! }));
}
