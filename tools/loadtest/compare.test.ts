import { describe, expect, it } from 'vitest';
import { compareSummaries, parseSummaryFile, summaryFileJson, type SummaryFile } from './compare.js';
import { summarise, throughputTimeline, type Sample } from './stats.js';

const run = (latencies: number[], status = 200): Sample[] => latencies.map((latencyMs, i) => ({ start: i * 100, latencyMs, status }));

describe('--json and --compare', () => {
  it('writes a summary that reads back equal, empty percentiles (NaN) included', () => {
    const samples = run([100, 200, 300], 503); // no 2xx: the 2xx percentiles are NaN
    const file: SummaryFile = {
      tool: 'mayfly-loadtest', version: 1, settings: { url: 'http://x' }, summary: summarise(samples, 1000),
      timeline: throughputTimeline(samples, 1000),
    };
    const text = summaryFileJson(file);
    expect(text).not.toMatch(/NaN/);
    const back = parseSummaryFile(text, 'f.json');
    expect(back.summary.okLatency.p50).toBeNaN();
    expect(back.summary.latency.p50).toBe(200);
    expect(back).toEqual(file);
  });

  it('refuses a file that is not a --json summary', () => {
    expect(() => parseSummaryFile('nope', 'a.json')).toThrow('a.json is not JSON');
    expect(() => parseSummaryFile('{"x":1}', 'b.json')).toThrow('b.json is not a summary written by --json');
  });

  it('prints previous, now and the change, marked better or worse by the direction of each figure', () => {
    const before = summarise(run([100, 100, 100, 100]), 1000);
    const after = summarise(run([50, 50, 50, 50, 50, 50, 50, 50]), 1000);
    const lines = compareSummaries(before, after);
    const line = (label: string): string => lines.find((l) => l.startsWith(`${label} `)) ?? '';
    expect(line('throughput')).toMatch(/4\.00\/s\s+8\.00\/s\s+\+4\.00\/s \(\+100\.0 %\) better$/);
    expect(line('p50')).toMatch(/100 ms\s+50 ms\s+-50 ms \(-50\.0 %\) better$/);
    expect(line('error rate')).toMatch(/0\.00 %\s+0\.00 %\s+\+0\.00 % *$/);
    const worse = compareSummaries(after, before);
    expect(worse.find((l) => l.startsWith('p99 '))).toMatch(/worse$/);
  });
});
