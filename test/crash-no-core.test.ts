import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSample } from './samples.js';
import { authHeaders } from './service.js';
import { spawnServer } from './spawn-server.js';

/**
 * A crash must not write the photos in memory to disk (privacy/process-hardening.ts). The built
 * server is started from a shell that allows core files of any size (`ulimit -c unlimited`) in an
 * empty folder, handles a photo, and is killed with SIGSEGV or SIGABRT: the folder must stay
 * empty. The positive control proves the same shell and folder do get a core file from a Node
 * process that was not hardened (this machine's core_pattern writes `core` into the cwd); if the
 * machine cannot dump at all, that control fails and says so, instead of this test passing
 * vacuously.
 */

// `exec "$@"` replaces the shell by node, keeping the raised limit: node is the shell's pid.
const UNLIMITED_CORE = ['/bin/bash', '-c', 'ulimit -S -c unlimited && ulimit -H -c unlimited && exec "$@"', 'mayfly'];

const folders: string[] = [];
function emptyFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-crash-'));
  folders.push(dir);
  return dir;
}
afterEach(() => { for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true }); });

function coreLimitOf(pid: number): string {
  return readFileSync(`/proc/${pid}/limits`, 'latin1').split('\n').find((l) => l.startsWith('Max core file size')) ?? '';
}

describe('a crash of the server writes no core file', () => {
  it('control: an unhardened node process in the same shell and folder leaves a core file', async () => {
    const dir = emptyFolder();
    const child = spawn(UNLIMITED_CORE[0]!, [...UNLIMITED_CORE.slice(1), process.execPath, '-e', "process.kill(process.pid, 'SIGSEGV')"], { cwd: dir, stdio: 'ignore' });
    const signal = await new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, s) => done(s)));
    expect(signal).toBe('SIGSEGV');
    const files = readdirSync(dir);
    expect(files, `no core file: ${readFileSync('/proc/sys/kernel/core_pattern', 'latin1').trim()} — this machine cannot show the proof`).not.toEqual([]);
    expect(statSync(join(dir, files[0]!)).size).toBeGreaterThan(1024 * 1024);
  });

  for (const signal of ['SIGSEGV', 'SIGABRT'] as const) {
    it(`${signal} after handling a photo: the empty working folder stays empty`, async () => {
      const dir = emptyFolder();
      const server = await spawnServer({ wrapper: UNLIMITED_CORE, wrapperExecs: true, cwd: dir });
      try {
        // The shell's limit reached node, and the hardening lowered it to 0 (soft and hard).
        expect(coreLimitOf(server.pid)).toMatch(/^Max core file size\s+0\s+0\s+bytes/);
        // Non-dumpable: the kernel hands its /proc files to root.
        expect(statSync(`/proc/${server.pid}/mem`).uid).toBe(0);
        const form = new FormData();
        form.append('image', new Blob([readSample(1)]), 'photo.jpg');
        const res = await fetch(`${server.url}/v1/landmarks`, { method: 'POST', body: form, headers: authHeaders() });
        await res.arrayBuffer();
        expect(res.status).toBe(200);

        const exited = new Promise<NodeJS.Signals | null>((done) => server.child.once('exit', (_code, s) => done(s)));
        process.kill(server.pid, signal);
        expect(await exited).toBe(signal);
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        await server.stop();
      }
    });
  }

  it('refuses to start with a Node option that writes reports or heap snapshots', () => {
    for (const option of ['--report-on-fatalerror', '--heapsnapshot-signal=SIGUSR2']) {
      const run = spawnSync(process.execPath, [resolve('dist/src/server.js')], {
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: option, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
        encoding: 'latin1',
        timeout: 30_000,
      });
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toContain(option.split('=')[0]);
    }
  });
});
