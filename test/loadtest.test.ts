import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, TEST_API_KEY, type TestService } from './service.js';

/**
 * The load-test harness (dist/tools/loadtest/cli.js) run as operators run it, against a local
 * service, for a couple of seconds per case: exit codes, summary, HTML report.
 */
const CLI = join(import.meta.dirname, '..', 'dist', 'tools', 'loadtest', 'cli.js');

function loadtest(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let svc: TestService;
let dir: string;
beforeAll(async () => {
  svc = await startTestService();
  // Not os.tmpdir(): the test setup points TMPDIR at a path that does not exist (no-disk rule of the service).
  dir = mkdtempSync('/tmp/mayfly-loadtest-');
});
afterAll(async () => {
  await svc?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run loadtest', () => {
  it('closed loop: prints a summary, writes a self-contained HTML report, exits 0 within thresholds', async () => {
    const report = join(dir, 'closed.html');
    const run = await loadtest(['--url', svc.url, '--key', TEST_API_KEY, '--concurrency', '2', '--duration', '3s',
      '--endpoint', 'landmarks', '--report', report, '--max-error-rate', '0', '--max-p99', '60s']);
    expect(run.stderr).not.toMatch(/threshold broken/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/closed loop, 2 clients/);
    const requests = Number(/^requests\s+(\d+)/m.exec(run.stdout)?.[1]);
    expect(requests).toBeGreaterThan(0);
    expect(run.stdout).toMatch(new RegExp(`status codes\\s+200: ${requests}\\b`));
    expect(run.stdout).toMatch(/error rate\s+0\.00 %/);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    // Latency over time, throughput over time, latency histogram.
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toMatch(/p50 \/ p90 \/ p95 \/ p99 \/ p99\.9 \/ max/);
    // One dot per request in the latency-over-time chart.
    expect(html.match(/<circle /g)).toHaveLength(requests);
    // Self-contained: no scripts, no external stylesheets, images or fonts.
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
  });

  it('exits 1 when --max-p99 is broken (no face detection answers within 1 ms)', async () => {
    const run = await loadtest(['--url', svc.url, '--key', TEST_API_KEY, '--concurrency', '1', '--duration', '1s', '--max-p99', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/threshold broken: p99 \d+ ms > --max-p99 1 ms/);
  });

  it('exits 1 when --max-error-rate is broken (half the photos are not images: 400)', async () => {
    const images = join(dir, 'half-broken');
    mkdirSync(images);
    copyFileSync(join(import.meta.dirname, '..', 'node_modules', '@vladmandic', 'face-api', 'demo', 'sample1.jpg'), join(images, 'a.jpg'));
    writeFileSync(join(images, 'b.jpg'), 'not a photo at all');
    const run = await loadtest(['--url', svc.url, '--key', TEST_API_KEY, '--concurrency', '1', '--duration', '2s',
      '--images', images, '--max-error-rate', '10%']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/status codes\s+200: \d+, 4\d\d: \d+/);
    expect(run.stderr).toMatch(/threshold broken: error rate \d+\.\d+ % > --max-error-rate 10\.00 %/);
  });

  it.each([
    ['a wrong key (401)', ['--key', 'mk_wrong_key_0000000000000000'], /401 Unauthorized: check --key/],
    ['an unknown effect (404)', ['--key', TEST_API_KEY, '--endpoint', 'effects/no-such-effect'], /404 Not Found/],
  ])('stops at once and exits 3 on %s', async (_name, args, reason) => {
    const started = performance.now();
    const run = await loadtest(['--url', svc.url, '--concurrency', '1', '--duration', '30s', ...args]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).toMatch(/^stopped early, the first \d+ answers/m);
    // Far from the 30 s asked for.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('stops at once and exits 3 when nothing listens at --url', async () => {
    const run = await loadtest(['--url', 'http://127.0.0.1:9', '--rate', '5', '--duration', '30s']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/connection refused: nothing listens at --url/);
  });

  it('passes --field through as form fields, and exits 3 when every request failed', async () => {
    const base = ['--url', svc.url, '--key', TEST_API_KEY, '--concurrency', '1', '--duration', '1s', '--endpoint', 'effects/royal-crown'];
    const good = await loadtest([...base, '--field', 'maxSize=128', '--field', 'format=png']);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/fields maxSize=128 format=png/);
    expect(good.stdout).toMatch(/status codes\s+200: \d+$/m);
    // The same run with a field the service refuses: every answer is 400, so the field got there.
    const bad = await loadtest([...base, '--field', 'maxSize=tiny']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/status codes\s+400: \d+$/m);
    expect(bad.stderr).toMatch(/every request failed/);
  });

  it('--json writes the raw summary; --compare prints the deltas against it', async () => {
    const first = join(dir, 'first.json');
    const args = ['--url', svc.url, '--key', TEST_API_KEY, '--concurrency', '1', '--duration', '2s'];
    expect((await loadtest([...args, '--json', first])).code).toBe(0);
    const file = JSON.parse(readFileSync(first, 'utf8')) as { tool: string; summary: { requests: number; latency: { p999: number } }; timeline: unknown[] };
    expect(file.tool).toBe('mayfly-loadtest');
    expect(file.summary.requests).toBeGreaterThan(0);
    expect(file.summary.latency.p999).toBeGreaterThan(0);
    expect(file.timeline.length).toBeGreaterThanOrEqual(2);
    const second = await loadtest([...args, '--compare', first]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`compared with ${first}`));
    expect(second.stdout).toMatch(/^ +p99\.9 +\d+ ms +\d+ ms +[+-]\d+ ms/m);
  });

  it('a missing --images folder is a one-line error (exit 2), not a stack trace', async () => {
    const run = await loadtest(['--url', svc.url, '--concurrency', '1', '--images', join(dir, 'no-such-folder')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`--images: no such folder: ${join(dir, 'no-such-folder')}`);
  });

  it('--help and -h explain every option and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await loadtest([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/--field name=value/);
      expect(run.stdout).toMatch(/--compare <prev\.json>/);
    }
  });

  it('open loop: sends rate × duration requests whatever the answers', async () => {
    const report = join(dir, 'open.html');
    const run = await loadtest(['--url', svc.url, '--key', TEST_API_KEY, '--rate', '4/s', '--duration', '2s', '--report', report]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/open loop, 4 req\/s/);
    expect(Number(/^requests\s+(\d+)/m.exec(run.stdout)?.[1])).toBe(8);
    expect(existsSync(report)).toBe(true);
  });

  it('exits 2 on a usage error, naming every problem', async () => {
    const run = await loadtest(['--url', 'ftp://example', '--rate', '5', '--concurrency', '2']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--url must be an http\(s\) base URL/);
    expect(run.stderr).toMatch(/exactly one of --rate/);
  });
});
