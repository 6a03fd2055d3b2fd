import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskDiagnosticFlags, HardeningError, refuseDiskDiagnostics } from './process-hardening.js';

describe('disk-writing Node diagnostics', () => {
  it('finds report and heap-snapshot flags on the command line and in NODE_OPTIONS, in either spelling', () => {
    expect(diskDiagnosticFlags(['--report-on-fatalerror'], undefined)).toEqual(['--report-on-fatalerror']);
    expect(diskDiagnosticFlags([], '--max-old-space-size=512 --heapsnapshot-signal=SIGUSR2')).toEqual(['--heapsnapshot-signal']);
    expect(diskDiagnosticFlags([], '--report_uncaught_exception --heapsnapshot-near-heap-limit=3')).toEqual(['--report-uncaught-exception', '--heapsnapshot-near-heap-limit']);
    expect(diskDiagnosticFlags(['--cpu-prof', '--heap-prof', '--prof'], '')).toEqual(['--cpu-prof', '--heap-prof', '--prof']);
    expect(diskDiagnosticFlags(['--initial-old-space-size=64', '--max-semi-space-size=4'], '--enable-source-maps')).toEqual([]);
  });

  it('refuses to start with one', () => {
    expect(() => refuseDiskDiagnostics([], '--report-on-signal')).toThrow(HardeningError);
    expect(() => refuseDiskDiagnostics(['--max-semi-space-size=4'], undefined)).not.toThrow();
    expect(process.report?.reportOnFatalError).toBe(false);
  });

  it('none is turned on by npm scripts, the Dockerfile or the Kubernetes manifests', () => {
    const texts = [
      ...Object.values((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts),
      readFileSync('Dockerfile', 'utf8'),
      ...readdirSync('deploy/k8s').map((f) => readFileSync(join('deploy/k8s', f), 'utf8')),
    ];
    const words = texts.flatMap((t) => t.match(/--[a-z][a-z0-9_-]*(=\S*)?/gi) ?? []);
    expect(words.length).toBeGreaterThan(0);
    expect(diskDiagnosticFlags(words, undefined)).toEqual([]);
    expect(texts.join('\n')).not.toMatch(/NODE_OPTIONS/);
  });
});

describe('hardenProcess (in a child process: it cannot be undone)', () => {
  it('leaves the process non-dumpable with a core limit of 0 soft and hard', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      import { hardenProcess } from './dist/src/privacy/process-hardening.js';
      import { readFileSync } from 'node:fs';
      const result = hardenProcess();
      const limits = readFileSync('/proc/self/limits', 'latin1').split('\\n').find((l) => l.startsWith('Max core'));
      console.log(JSON.stringify({ result, limits }));
    `], { encoding: 'utf8' });
    const { result, limits } = JSON.parse(out) as { result: { dumpable: boolean; supported: boolean }; limits: string };
    expect(result).toMatchObject({ supported: true, dumpable: false, coreLimit: { soft: '0', hard: '0' } });
    expect(limits).toMatch(/^Max core file size\s+0\s+0\s/);
  });
});
