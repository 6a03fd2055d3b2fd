import fs, { writeFileSync as namedWriteFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { effectCorpus, uploadCorpus } from './corpus.js';
import { readSample } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * Nothing is written to disk through Node's fs: every write-capable function of `fs` and
 * `fs/promises` (callback, sync and promise variants) is spied on while good and bad uploads
 * go through the in-process service, and none may be called.
 *
 * How the spies reach every caller: CommonJS code (multer, busboy, sharp's JS, pino, express)
 * calls through the `fs` module object, which vi.spyOn patches; ESM named imports (our src/,
 * as vitest loads it) read Node's builtin namespace, which syncBuiltinESMExports() refreshes
 * from that object. The positive control proves all three routes are counted.
 * Scope: this process's JavaScript. Native code (libvips) and the detect worker threads (their
 * own module instances) are covered by the syscall test (no-disk-syscalls.test.ts).
 */

type Spy = MockInstance<(...args: unknown[]) => unknown>;

const WRITE_FUNCTIONS = [
  'appendFile', 'appendFileSync', 'chmod', 'chmodSync', 'chown', 'chownSync', 'copyFile', 'copyFileSync',
  'cp', 'cpSync', 'createWriteStream', 'fchmod', 'fchmodSync', 'fchown', 'fchownSync', 'fdatasync', 'fdatasyncSync',
  'fsync', 'fsyncSync', 'ftruncate', 'ftruncateSync', 'futimes', 'futimesSync', 'lchown', 'lchownSync', 'link',
  'linkSync', 'lutimes', 'lutimesSync', 'mkdir', 'mkdirSync', 'mkdtemp', 'mkdtempSync', 'rename', 'renameSync',
  'rm', 'rmSync', 'rmdir', 'rmdirSync', 'symlink', 'symlinkSync', 'truncate', 'truncateSync', 'unlink',
  'unlinkSync', 'utimes', 'utimesSync', 'writeFile', 'writeFileSync',
] as const;
/** fd-based writes: only a descriptor other than stdin/stdout/stderr would be a file. */
const FD_WRITES = ['write', 'writeSync', 'writev', 'writevSync'] as const;
const OPENS = ['open', 'openSync'] as const;
const PROMISE_WRITES = [
  'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'lchmod', 'lchown', 'link', 'lutimes', 'mkdir', 'mkdtemp',
  'rename', 'rm', 'rmdir', 'symlink', 'truncate', 'unlink', 'utimes', 'writeFile',
] as const;

const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND } = fs.constants;

function opensForWriting(flags: unknown): boolean {
  if (flags === undefined || flags === null) return false;
  if (typeof flags === 'number') return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) !== 0;
  return /[wa+]/.test(String(flags));
}

interface Recorded { fn: string; args: string }
const recorded: Recorded[] = [];
const spies: Spy[] = [];

function describeArgs(args: unknown[]): string {
  return args.slice(0, 2).map((a) => (typeof a === 'string' || typeof a === 'number' ? String(a) : typeof a)).join(', ');
}

function spyOn(target: object, name: string, label: string, counts: (args: unknown[]) => boolean = () => true): void {
  const original = (target as Record<string, unknown>)[name];
  if (typeof original !== 'function') return; // e.g. lchmod exists on macOS only
  const spy = vi.spyOn(target as Record<string, (...args: unknown[]) => unknown>, name) as Spy;
  spy.mockImplementation(function (this: unknown, ...args: unknown[]) {
    if (counts(args)) recorded.push({ fn: label, args: describeArgs(args) });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  });
  spies.push(spy);
}

function installSpies(): void {
  for (const name of WRITE_FUNCTIONS) spyOn(fs, name, `fs.${name}`);
  for (const name of FD_WRITES) spyOn(fs, name, `fs.${name}`, (args) => typeof args[0] !== 'number' || args[0] > 2);
  for (const name of OPENS) spyOn(fs, name, `fs.${name}`, (args) => opensForWriting(args[1]));
  for (const name of PROMISE_WRITES) spyOn(fsp, name, `fs.promises.${name}`);
  spyOn(fsp, 'open', 'fs.promises.open', (args) => opensForWriting(args[1]));
  syncBuiltinESMExports();
}

function removeSpies(): void {
  for (const spy of spies.splice(0)) spy.mockRestore();
  syncBuiltinESMExports();
}

const NOWHERE = '/nonexistent/mayfly-no-disk-fs-control/x';

describe('no fs writes while images are processed', () => {
  let svc: TestService;
  let corpus: [string, Uint8Array][];
  let effects: Awaited<ReturnType<typeof effectCorpus>>;

  beforeAll(async () => {
    // Inputs are built before the spies go in (sharp here runs in the test's own process).
    effects = await effectCorpus();
    corpus = [
      ...[1, 2, 3, 4, 5, 6].map((n): [string, Uint8Array] => [`sample${n}`, readSample(n)]),
      ...await uploadCorpus(),
    ];
    svc = await startTestService({ MAX_UPLOAD_BYTES: String(32 * 1024 * 1024) });
    installSpies();
  });
  afterAll(async () => {
    removeSpies();
    await svc?.close();
  });

  it('positive control: a write through the fs object, a named ESM import, CommonJS require and fs/promises is counted', async () => {
    recorded.length = 0;
    expect(() => fs.writeFileSync(NOWHERE, 'x')).toThrow(/ENOENT/);
    expect(() => namedWriteFileSync(NOWHERE, 'x')).toThrow(/ENOENT/);
    const cjsFs = createRequire(import.meta.url)('fs') as typeof fs;
    expect(() => cjsFs.mkdirSync(NOWHERE)).toThrow(/ENOENT/);
    expect(() => cjsFs.openSync(NOWHERE, 'w')).toThrow(/ENOENT/);
    await expect(fsp.writeFile(NOWHERE, 'x')).rejects.toThrow(/ENOENT/);
    await expect(fsp.open(NOWHERE, 'a')).rejects.toThrow(/ENOENT/);
    // Opening for reading is not a write.
    cjsFs.closeSync(cjsFs.openSync(import.meta.filename, 'r'));
    expect(recorded.map((r) => r.fn)).toEqual([
      'fs.writeFileSync', 'fs.writeFileSync', 'fs.mkdirSync', 'fs.openSync', 'fs.promises.writeFile', 'fs.promises.open',
    ]);
    expect(spies.length).toBeGreaterThan(60);
  });

  it('good and bad uploads: zero calls to any write-capable fs function', async () => {
    recorded.length = 0;
    const statuses: Record<string, number> = {};
    const effectStatuses: Record<string, number> = {};
    for (const [name, bytes] of corpus) {
      const res = await postImage(`${svc.url}/v1/landmarks`, bytes);
      await res.arrayBuffer();
      statuses[name] = res.status;
    }
    // Effects too (issue "Template compositing"): every kind, every output format, and failures.
    for (const effect of effects) {
      const res = await postImage(`${svc.url}/v1/effects/${effect.template}`, effect.bytes, effect.fields);
      await res.arrayBuffer();
      effectStatuses[effect.name] = res.status;
    }
    // The corpus really went through the good and the bad paths.
    expect(statuses).toMatchObject({
      sample1: 200, '48 MP photo': 200, 'EXIF orientation 6': 200, PNG: 200, WebP: 200, AVIF: 200,
      'truncated JPEG': 422, 'PNG bomb': 413, SVG: 415, PDF: 415, HTML: 415, 'random bytes': 415, GIF: 415,
    });
    expect(effectStatuses).toEqual(Object.fromEntries(effects.map((e) => [e.name, e.expected])));
    expect(recorded).toEqual([]);
  });
});
