import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    expect(html.match(/<svg /g)).toHaveLength(2);
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

  it('exits 1 when --max-error-rate is broken (every request goes to an unknown effect: 404)', async () => {
    const run = await loadtest(['--url', svc.url, '--key', TEST_API_KEY, '--concurrency', '1', '--duration', '1s',
      '--endpoint', 'effects/no-such-effect', '--max-error-rate', '10%']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/status codes\s+404: \d+/);
    expect(run.stderr).toMatch(/threshold broken: error rate 100\.00 % > --max-error-rate 10\.00 %/);
  });

  it('open loop: sends rate × duration requests whatever the answers', async () => {
    const report = join(dir, 'open.html');
    const run = await loadtest(['--url', svc.url, '--rate', '4/s', '--duration', '2s', '--report', report]);
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
