import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import multer from 'multer';
import { describe, expect, it } from 'vitest';
import { isZeroed, WipeLedger } from '../../privacy/wipe-ledger.js';
import { memoryStorage } from './memory-storage.js';

interface Stored { buffer: Buffer; size: number }

/** A ledger that also remembers everything registered with it, so the test can look inside. */
class RecordingLedger extends WipeLedger {
  readonly tracked: Buffer[] = [];
  override track<T extends Uint8Array | ArrayBuffer>(buffer: T): T {
    if (buffer instanceof Buffer) this.tracked.push(buffer);
    return super.track(buffer);
  }
}

/** Runs the engine on a file stream fed with `chunks`; resolves with what it stored or its error. */
function store(
  chunks: Buffer[], opts: { maxBytes: number; contentLength?: number; ledger?: WipeLedger; reserve?: (bytes: number) => void },
): Promise<{ stored?: Stored; error?: Error; ledger: WipeLedger }> {
  const ledger = opts.ledger ?? new RecordingLedger();
  const engine = memoryStorage({ maxBytes: opts.maxBytes, ledgerOf: () => ledger, reserve: opts.reserve });
  const headers = opts.contentLength === undefined ? {} : { 'content-length': String(opts.contentLength) };
  const req = { headers } as unknown as Request;
  const stream = new PassThrough();
  const file = { fieldname: 'image', originalname: 'x.jpg', encoding: '7bit', mimetype: 'image/jpeg', stream } as unknown as Express.Multer.File;
  return new Promise((resolve) => {
    engine._handleFile(req, file, (error, info) => {
      if (error) resolve({ error, ledger });
      else resolve({ stored: info as Stored, ledger });
    });
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

/** `count` chunks of `size` bytes with distinct, non-zero contents (a counter pattern). */
function pattern(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, c) => Buffer.from(Array.from({ length: size }, (_, i) => ((c * size + i) % 251) + 1)));
}

describe('memoryStorage (multer StorageEngine)', () => {
  it('copies every chunk into one owned buffer, in order, and zeroes each chunk after the copy', async () => {
    const chunks = pattern(5, 1000);
    const expected = Buffer.concat(chunks);
    const { stored, ledger } = await store(chunks, { maxBytes: 1 << 20, contentLength: 6000 });
    expect(stored!.size).toBe(5000);
    expect(stored!.buffer.equals(expected)).toBe(true);
    for (const chunk of chunks) expect(isZeroed(chunk)).toBe(true);
    // The file's buffer is a view of a buffer the ledger owns.
    expect((ledger as RecordingLedger).tracked.some((b) => b.buffer === stored!.buffer.buffer)).toBe(true);
  });

  it('grows across many chunks without a Content-Length, and zeroes every outgrown buffer', async () => {
    // 300 chunks × 1 KiB from a 64 KiB start: the owned buffer must grow several times.
    const chunks = pattern(300, 1024);
    const expected = Buffer.concat(chunks);
    const { stored, ledger } = await store(chunks, { maxBytes: 1 << 20 });
    expect(stored!.size).toBe(expected.length);
    expect(stored!.buffer.equals(expected)).toBe(true);
    const tracked = (ledger as RecordingLedger).tracked;
    expect(tracked.length).toBeGreaterThanOrEqual(3);
    const current = tracked.at(-1)!;
    expect(current.buffer).toBe(stored!.buffer.buffer);
    for (const old of tracked.slice(0, -1)) expect(isZeroed(old)).toBe(true);
    expect(isZeroed(current)).toBe(false);
    ledger.wipeAll();
    expect(isZeroed(current)).toBe(true);
    expect(isZeroed(stored!.buffer)).toBe(true);
  });

  it('never allocates more than maxBytes even when Content-Length claims more', async () => {
    const { stored, ledger } = await store(pattern(4, 1000), { maxBytes: 4000, contentLength: 50_000_000 });
    expect(stored!.size).toBe(4000);
    for (const b of (ledger as RecordingLedger).tracked) expect(b.length).toBeLessThanOrEqual(4000);
  });

  it('holds memory for what arrived, not for what Content-Length claims: every allocation is charged first', async () => {
    const charged: number[] = [];
    const { stored, ledger } = await store(pattern(3, 1000), { maxBytes: 50_000_000, contentLength: 40_000_000, reserve: (n) => charged.push(n) });
    expect(stored!.size).toBe(3000);
    const allocated = (ledger as RecordingLedger).tracked.reduce((sum, b) => sum + b.length, 0);
    expect(allocated).toBeLessThanOrEqual(256 * 1024);
    expect(charged.reduce((a, b) => a + b, 0)).toBe(allocated);
    // A large upload grows by doubling, each step charged by what it adds.
    const grown: number[] = [];
    const big = await store(pattern(40, 64 * 1024), { maxBytes: 50_000_000, contentLength: 40 * 64 * 1024 + 500, reserve: (n) => grown.push(n) });
    expect(big.stored!.size).toBe(40 * 64 * 1024);
    expect(grown.length).toBeGreaterThan(2);
    expect(grown.reduce((a, b) => a + b, 0)).toBe(Math.max(...(big.ledger as RecordingLedger).tracked.map((b) => b.length)));
  });

  it('refuses the upload when the memory budget has no room, zeroing what it had', async () => {
    let room = 300 * 1024;
    const { error, ledger } = await store(pattern(8, 64 * 1024), {
      maxBytes: 50_000_000, contentLength: 8 * 64 * 1024,
      reserve: (n) => { if (n > room) throw new Error('overloaded'); room -= n; },
    });
    expect(error?.message).toBe('overloaded');
    for (const b of (ledger as RecordingLedger).tracked) expect(isZeroed(b)).toBe(true);
  });

  it('accepts exactly maxBytes and refuses one byte more as LIMIT_FILE_SIZE, zeroing what it had', async () => {
    const exact = await store(pattern(4, 1000), { maxBytes: 4000 });
    expect(exact.stored!.size).toBe(4000);

    const chunks = [...pattern(4, 1000), Buffer.from([7])];
    const over = await store(chunks, { maxBytes: 4000 });
    expect(over.error).toBeInstanceOf(multer.MulterError);
    expect((over.error as multer.MulterError).code).toBe('LIMIT_FILE_SIZE');
    for (const chunk of chunks) expect(isZeroed(chunk)).toBe(true);
    for (const b of (over.ledger as RecordingLedger).tracked) expect(isZeroed(b)).toBe(true);
  });

  it('zeroes and drops chunks that arrive after the request ledger closed', async () => {
    const ledger = new RecordingLedger();
    ledger.wipeAll();
    const chunks = pattern(3, 500);
    const { stored } = await store(chunks, { maxBytes: 1 << 20, ledger });
    expect(stored!.size).toBe(0);
    for (const chunk of chunks) expect(isZeroed(chunk)).toBe(true);
  });

  it('zeroes the owned buffer when the file stream fails', async () => {
    const ledger = new RecordingLedger();
    const engine = memoryStorage({ maxBytes: 1 << 20, ledgerOf: () => ledger });
    const stream = new PassThrough();
    const file = { fieldname: 'image', stream } as unknown as Express.Multer.File;
    const result = new Promise<Error | null>((resolve) => engine._handleFile({ headers: {} } as Request, file, (e) => resolve(e)));
    stream.write(pattern(1, 800)[0]);
    await new Promise((r) => setImmediate(r));
    stream.destroy(new Error('client went away'));
    expect((await result)?.message).toBe('client went away');
    for (const b of ledger.tracked) expect(isZeroed(b)).toBe(true);
  });

  it('_removeFile zeroes the stored buffer', async () => {
    const { stored } = await store(pattern(2, 100), { maxBytes: 1000 });
    const engine = memoryStorage({ maxBytes: 1000, ledgerOf: () => new WipeLedger() });
    await new Promise<void>((resolve) => engine._removeFile({} as Request, stored as unknown as Express.Multer.File, () => resolve()));
    expect(stored!.size).toBe(200);
    expect(isZeroed(stored!.buffer)).toBe(true);
  });
});
