import { describe, expect, it } from 'vitest';
import { summarise, throughputTimeline, type Sample } from './stats.js';

const ok = (start: number, latencyMs: number): Sample => ({ start, latencyMs, status: 200 });

describe('summarise', () => {
  // Answered at 100, 900, 1500, 2500, 3900 and (draining, after the window) 4200 ms.
  const samples: Sample[] = [
    ok(0, 100), ok(0, 900), ok(900, 600), { start: 1500, latencyMs: 1000, status: 503 }, ok(2500, 1400), ok(3900, 300),
  ];

  it('counts answers that arrived within [0, window] and every request for latency and statuses', () => {
    const s = summarise(samples, 4000);
    expect(s.durationS).toBe(4);
    expect(s.throughput).toBe(5 / 4);
    expect(s.okThroughput).toBe(4 / 4);
    expect(s.requests).toBe(6);
    expect(s.statuses).toEqual({ 200: 5, 503: 1 });
    expect(s.okLatency.max).toBe(1400);
  });

  it('leaves the ramp before fromMs out of the rates only', () => {
    const s = summarise(samples, 4000, 1000);
    expect(s.durationS).toBe(3);
    expect(s.throughput).toBe(3 / 3); // 1500, 2500 (503), 3900
    expect(s.okThroughput).toBe(2 / 3);
    expect(s.requests).toBe(6);
    expect(s.okLatency.p50).toBe(600); // latencies still of all five 200s
  });

  it('refuses a ramp that leaves no window', () => {
    expect(() => summarise(samples, 4000, 4000)).toThrow(RangeError);
    expect(() => summarise(samples, 4000, -1)).toThrow(RangeError);
  });
});

describe('percentiles and throughput over time', () => {
  it('p95 and p99.9 by nearest rank', () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => ({ start: 0, latencyMs: i + 1, status: 200 }));
    const s = summarise(latencies, 1000);
    expect(s.latency.p95).toBe(950);
    expect(s.latency.p999).toBe(999);
    expect(s.latency.max).toBe(1000);
  });

  it('counts answers per second of arrival, 2xx apart from the rest, with empty seconds as zeros', () => {
    const timeline = throughputTimeline([
      ok(0, 100), ok(200, 500), { start: 300, latencyMs: 100, status: 503 }, { start: 2100, latencyMs: 0, status: 0, error: 'ECONNRESET' },
      ok(2500, 1000), // answered at 3.5 s, after a 3 s window: the timeline runs on to it
    ], 3000);
    expect(timeline).toEqual([
      { second: 0, ok: 2, failed: 1 }, { second: 1, ok: 0, failed: 0 }, { second: 2, ok: 0, failed: 1 }, { second: 3, ok: 1, failed: 0 },
    ]);
  });
});
