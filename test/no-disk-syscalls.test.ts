import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectCorpus, uploadCorpus } from './corpus.js';
import { readSample } from './samples.js';
import { authHeaders, postImage } from './service.js';
import { spawnServer, type SpawnedServer } from './spawn-server.js';
import { findDiskWrites, straceArgs } from './syscall-trace.js';

/**
 * The syscall-level no-disk proof: the built server runs under `strace -f` (every thread, the
 * detect workers, libvips' threads) from its first instruction — start, model loading, warm-up,
 * a corpus of good and bad uploads, graceful shutdown — and no syscall may create, open for
 * writing, truncate, rename, link or remove anything outside /dev and /proc.
 */

function straceAvailable(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

describe('no disk writes at the syscall level', () => {
  beforeAll(() => {
    if (!straceAvailable()) {
      throw new Error('strace is not installed: this test needs it (apt-get install -y strace; .ci/run installs it)');
    }
  });

  describe('positive control: the parser flags a real write', () => {
    let dir = '';
    afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

    it('catches a file created by a traced node process, and ignores read-only opens', () => {
      // Not os.tmpdir(): the test setup points TMPDIR at a path that does not exist (native-env).
      dir = mkdtempSync('/tmp/mayfly-strace-control-');
      const target = join(dir, 'written.txt');
      const script = `require('fs').readFileSync(process.execPath); require('fs').writeFileSync(${JSON.stringify(target)}, 'x')`;
      const result = spawnSync('strace', [...straceArgs(), process.execPath, '-e', script], { encoding: 'latin1' });
      expect(result.status).toBe(0);
      expect(existsSync(target)).toBe(true);
      const writes = findDiskWrites(result.stderr);
      expect(writes.map((w) => w.path)).toContain(target);
      expect(writes.find((w) => w.path === target)!.syscall).toMatch(/^open/);
      // Node itself opened its own binary read-only: not a write.
      expect(writes.map((w) => w.path)).not.toContain(process.execPath);
      expect(findDiskWrites(`[pid 7] ftruncate(23</memfd:wasm (deleted)>, 65536) = 0\n[pid 7] openat(AT_FDCWD</x>, "/dev/null", O_RDWR|O_CLOEXEC) = 3</dev/null>`)).toEqual([]);
      expect(findDiskWrites('[pid 7] unlinkat(AT_FDCWD</srv>, "tmp/a.jpg", 0) = 0')[0]?.path).toBe('/srv/tmp/a.jpg');
    });
  });

  describe('the built server under strace -f', () => {
    let server: SpawnedServer | undefined;
    let trace = '';
    const statuses: Record<string, number> = {};
    const effectStatuses: Record<string, number> = {};
    let effects: Awaited<ReturnType<typeof effectCorpus>> = [];

    beforeAll(async () => {
      // dist/ is built by global-setup; make sure it is there before tracing it.
      execFileSync('test', ['-f', 'dist/src/server.js']);
      effects = await effectCorpus();
      const corpus: [string, Uint8Array][] = [['sample1', readSample(1)], ['sample4', readSample(4)], ...await uploadCorpus()];
      server = await spawnServer({ wrapper: ['strace', ...straceArgs()], env: { MAX_UPLOAD_BYTES: String(32 * 1024 * 1024) }, readyTimeoutMs: 180_000 });
      for (const [name, bytes] of corpus) {
        const res = await postImage(`${server.url}/v1/landmarks`, bytes);
        await res.arrayBuffer();
        statuses[name] = res.status;
      }
      // Effects too (issue "Template compositing"): every kind, every output format, and failures.
      for (const effect of effects) {
        const res = await postImage(`${server.url}/v1/effects/${effect.template}`, effect.bytes, effect.fields);
        await res.arrayBuffer();
        effectStatuses[effect.name] = res.status;
      }
      // A merge: two uploads in one request (the person and the caller's portrait).
      const form = new FormData();
      form.append('image', new Blob([readSample(1)]), 'person.jpg');
      form.append('template', new Blob([readSample(3)]), 'portrait.jpg');
      form.append('templateFace', '0');
      const merged = await fetch(`${server.url}/v1/merge`, { method: 'POST', body: form, headers: authHeaders() });
      await merged.arrayBuffer();
      statuses.merge = merged.status;
      await server.stop();
      trace = server.stderr();
      const lines = trace.split('\n').filter((l) => /^\[pid|^\w+\(/.test(l)).length;
      console.log(`strace: ${lines} traced syscalls; statuses ${JSON.stringify(statuses)} ${JSON.stringify(effectStatuses)}`);
    }, 600_000);
    afterAll(async () => { await server?.stop(); });

    it('really traced the server and really ran the corpus', () => {
      // The trace saw the server load its model weights (read-only opens)…
      expect(trace).toMatch(/openat\(.*ssd_mobilenetv1_model.*O_RDONLY/);
      // …and the corpus took the good and the bad paths.
      expect(statuses).toMatchObject({
        sample1: 200, '48 MP photo': 200, 'EXIF orientation 6': 200, PNG: 200, WebP: 200, AVIF: 200,
        'truncated JPEG': 422, 'PNG bomb': 413, SVG: 415, PDF: 415, HTML: 415, 'random bytes': 415, merge: 200,
      });
      expect(effectStatuses).toEqual(Object.fromEntries(effects.map((e) => [e.name, e.expected])));
    });

    it('made no syscall that creates, writes, truncates, renames, links or removes a file', () => {
      const writes = findDiskWrites(trace);
      if (writes.length > 0) console.error(`disk-touching syscalls:\n${writes.map((w) => `  ${w.line}`).join('\n')}`);
      expect(writes).toEqual([]);
    });
  });
});
