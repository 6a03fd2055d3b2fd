import { describe, expect, it } from 'vitest';
import { countMax, latencyHistogram, latencyOverTime, niceMax, throughputOverTime, tick } from './report-html.js';
import type { Sample } from './stats.js';

describe('report axes', () => {
  it('rounds up to a number the data fills most of', () => {
    expect(niceMax(59.9)).toBe(60); // a 60 s run's axis ends at 60 s, not 100
    expect(niceMax(9.9)).toBe(10);
    expect(niceMax(1998)).toBe(2000);
    expect(niceMax(1239)).toBe(1500);
    expect(niceMax(0)).toBe(1);
  });

  it('labels ticks without rounding them to wrong whole numbers', () => {
    expect(tick(12)).toBe('12');
    expect(tick(0.6)).toBe('0.6');
    expect(tick((1.5 * 3) / 5)).toBe('0.9');
  });

  it('ends a count axis where all five ticks are whole numbers', () => {
    for (const tallest of [1, 3, 7, 12, 24, 41, 99, 150, 1234]) {
      const end = countMax(tallest);
      expect(end).toBeGreaterThanOrEqual(tallest);
      for (let i = 0; i <= 5; i++) expect(Number.isInteger((end * i) / 5)).toBe(true);
    }
    expect(countMax(3)).toBe(5);
    expect(countMax(12)).toBe(15);
  });

  it('labels a small histogram\'s count axis in whole requests', () => {
    // Three answers in one bin: the tallest bar is 3.
    const samples: Sample[] = [100, 101, 102].map((latencyMs, i) => ({ start: i, latencyMs, status: 200 }));
    const svg = latencyHistogram(samples);
    const labels = [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1]);
    expect(labels).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('spans the time axis over when requests were sent, not when the last answer came', () => {
    // Sent over 10 s; the last answer arrives at 11.2 s.
    const samples: Sample[] = Array.from({ length: 11 }, (_, i) => ({ start: i * 990, latencyMs: 1300, status: 200 }));
    const svg = latencyOverTime(samples);
    const labels = [...svg.matchAll(/text-anchor="middle">([^<]*)</g)].map((m) => m[1]);
    expect(labels.slice(0, 6)).toEqual(['0', '2', '4', '6', '8', '10']);
  });
});

describe('report charts', () => {
  it('the histogram stacks errors on the 2xx of the same bin', () => {
    const samples: Sample[] = [
      { start: 0, latencyMs: 100, status: 200 }, { start: 0, latencyMs: 100, status: 200 }, { start: 0, latencyMs: 100, status: 503 },
      { start: 0, latencyMs: 20, status: 404 },
    ];
    const svg = latencyHistogram(samples);
    expect(svg.match(/<rect class="ok"/g)).toHaveLength(1);
    expect(svg.match(/<rect class="failed"/g)).toHaveLength(2);
    const ok = /<rect class="ok" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/.exec(svg)!;
    const failedAbove = [...svg.matchAll(/<rect class="failed" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)]
      .find((m) => m[1] === ok[1])!;
    // The 503 sits on top of the two 200s, half their height.
    expect(Number(failedAbove[2]) + Number(failedAbove[3])).toBeCloseTo(Number(ok[2]), 0);
    expect(Number(failedAbove[3]) * 2).toBeCloseTo(Number(ok[3]), 0);
  });

  it('throughput over time has one slot per second of the window', () => {
    const samples: Sample[] = Array.from({ length: 10 }, (_, i) => ({ start: i * 500, latencyMs: 10, status: i % 5 ? 200 : 500 }));
    const svg = throughputOverTime(samples, 5000);
    expect(svg).toMatch(/aria-label="throughput over time"/);
    expect(svg.match(/<rect class="ok"/g)).toHaveLength(5);
    expect(svg.match(/<rect class="failed"/g)).toHaveLength(2);
    const labels = [...svg.matchAll(/text-anchor="middle">([^<]*)</g)].map((m) => m[1]);
    expect(labels.slice(0, 6)).toEqual(['0', '1', '2', '3', '4', '5']);
  });
});
