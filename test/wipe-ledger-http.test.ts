import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isZeroed, type LedgerObserver, type Wipeable, type WipeLedger } from '../src/privacy/wipe-ledger.js';
import { notImages, phonePhoto, pngBomb, truncated } from './corpus.js';
import { readSample } from './samples.js';
import { authHeaders, postImage, startTestService, TEST_API_KEY, type TestService } from './service.js';

/**
 * The wipe proof over HTTP: every buffer the request's ledger owned (upload chunks, the owned
 * upload buffer, decoded pixels) is all zeros once the response has finished or the connection
 * closed — on success and on every error path. The ledger must also have seen at least as many
 * bytes as the client sent, otherwise "all zero" would be vacuous. Buffers the ledger released
 * early (raw body chunks, zeroed when the upload stage ends) count with the ledger's own; the
 * observer keeps them, so they are checked again at the end.
 */

class Wipes {
  private readonly seen: (readonly Wipeable[])[] = [];
  /** Per request: the buffers released before the end, and those wiped at the end. */
  readonly split: { released: Wipeable[]; wiped: readonly Wipeable[] }[] = [];
  private readonly released = new Map<WipeLedger, Wipeable[]>();
  private waiters: (() => void)[] = [];
  readonly observer: LedgerObserver = {
    onReleased: (buffers, ledger): void => {
      this.released.set(ledger, [...(this.released.get(ledger) ?? []), ...buffers]);
    },
    onWiped: (buffers, ledger): void => {
      const released = this.released.get(ledger) ?? [];
      this.released.delete(ledger);
      this.split.push({ released, wiped: buffers });
      this.seen.push([...released, ...buffers]);
      for (const wake of this.waiters.splice(0)) wake();
    },
  };

  get count(): number { return this.seen.length; }

  /** Buffers released so far by ledgers not wiped yet (requests still under way). */
  releasedSoFar(): Wipeable[] { return [...this.released.values()].flat(); }

  /** Waits for the ledger after `index` (the next request's) and returns its buffers. */
  async after(index: number): Promise<readonly Wipeable[]> {
    while (this.seen.length <= index) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.seen[index]!;
  }
}

const byteLength = (buffers: readonly Wipeable[]): number => buffers.reduce((n, b) => n + b.byteLength, 0);

/** Lets any late work of the request (a decode or a body chunk still under way) happen first. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

async function expectWiped(buffers: readonly Wipeable[], sentBytes: number): Promise<void> {
  expect(buffers.length).toBeGreaterThan(0);
  expect(byteLength(buffers)).toBeGreaterThanOrEqual(sentBytes);
  await settle();
  const dirty = buffers.filter((b) => !isZeroed(b)).map((b) => b.byteLength);
  expect(dirty).toEqual([]);
}

function multipart(parts: { field: string; bytes: Uint8Array }[]): { body: Buffer; boundary: string } {
  const boundary = `----mayfly${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const { field, bytes } of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="p.jpg"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    chunks.push(Buffer.from(bytes));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), boundary };
}

describe('wipe ledger over HTTP', () => {
  const wipes = new Wipes();
  let svc: TestService;
  const MAX_UPLOAD = 600_000;
  beforeAll(async () => {
    svc = await startTestService({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD) }, { ledgerObserver: wipes.observer });
  });
  afterAll(async () => { await svc?.close(); });

  async function post(bytes: Uint8Array, field = 'image'): Promise<{ status: number; code?: string; buffers: readonly Wipeable[] }> {
    const index = wipes.count;
    const res = await postImage(`${svc.url}/v1/landmarks`, bytes, {}, field);
    const body = await res.json() as { code?: string };
    return { status: res.status, code: body.code, buffers: await wipes.after(index) };
  }

  it('success: upload chunks, the owned upload buffer and the decoded pixels are all zero', async () => {
    const photo = readSample(2);
    const { status, buffers } = await post(photo);
    expect(status).toBe(200);
    await expectWiped(buffers, photo.length);
    // The owned upload buffer is among them: one buffer at least as large as the photo.
    expect(buffers.some((b) => b.byteLength >= photo.length)).toBe(true);
  });

  it('the raw body chunks are zeroed and let go when the upload ends, not held to the response', async () => {
    const photo = readSample(5);
    const index = wipes.count;
    const { status } = await post(photo);
    expect(status).toBe(200);
    const { released, wiped } = wipes.split[index]!;
    // Released before the end: at least the whole photo's bytes, as Node's body chunks (≤ 64 KiB).
    expect(byteLength(released)).toBeGreaterThanOrEqual(photo.length);
    expect(released.every((b) => b.byteLength <= 64 * 1024)).toBe(true);
    expect(released.every(isZeroed)).toBe(true);
    // The ledger no longer held them at the end: what it wiped then is the owned buffer and pixels.
    expect(wiped.some((b) => released.includes(b))).toBe(false);
    expect(wiped.some((b) => b.byteLength >= photo.length)).toBe(true);
  });

  const failures: [string, () => Promise<Uint8Array>, number, string, string?][] = [
    ['unsupported type (SVG)', async () => notImages.svg, 415, 'unsupported_media_type'],
    ['unsupported type (random bytes)', async () => notImages.random, 415, 'unsupported_media_type'],
    ['truncated JPEG', async () => truncated(readSample(3)), 422, 'image_decode_failed'],
    ['upload too large', () => phonePhoto(1, 12), 413, 'payload_too_large'],
    ['decompression bomb', async () => pngBomb(), 413, 'image_too_large'],
    ['missing image (file in the wrong field)', async () => readSample(4), 400, 'missing_image', 'photo'],
  ];

  it.each(failures)('%s: every owned buffer is zero', async (_name, make, status, code, field) => {
    const bytes = await make();
    const result = await post(bytes, field);
    expect([result.status, result.code]).toEqual([status, code]);
    // Too large: only what was read before the limit plus the drained rest; all of it was tracked.
    await expectWiped(result.buffers, bytes.length);
  });

  it('too many files: both files are tracked and zeroed', async () => {
    const a = readSample(5);
    const b = readSample(1);
    const { body, boundary } = multipart([{ field: 'image', bytes: a }, { field: 'image', bytes: b }]);
    const index = wipes.count;
    const res = await fetch(`${svc.url}/v1/landmarks`, {
      method: 'POST', body, headers: { ...authHeaders(), 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.status).toBe(400);
    expect((await res.json() as { code: string }).code).toBe('too_many_files');
    await expectWiped(await wipes.after(index), a.length + b.length);
  });

  it('chunks already copied into the upload buffer are zeroed and let go while the upload still arrives', async () => {
    const photo = readSample(6);
    const { body, boundary } = multipart([{ field: 'image', bytes: photo }]);
    const index = wipes.count;
    const { port } = new URL(svc.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`POST /v1/landmarks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`);
    // Three pieces, a pause after each: a chunk is looked at again whenever a later one arrives.
    for (const [from, to] of [[0, 100_000], [100_000, 200_000], [200_000, 250_000]] as const) {
      await new Promise<void>((resolve) => socket.write(body.subarray(from, to), () => resolve()));
      await settle();
    }
    expect(wipes.count).toBe(index); // still uploading
    const released = wipes.releasedSoFar();
    expect(byteLength(released)).toBeGreaterThanOrEqual(64 * 1024);
    expect(released.every(isZeroed)).toBe(true);
    socket.destroy();
    await expectWiped(await wipes.after(index), 250_000 - 400);
  });

  it('client disconnecting mid-upload: what arrived is tracked and zeroed', async () => {
    const photo = readSample(6);
    const { body, boundary } = multipart([{ field: 'image', bytes: photo }]);
    const half = Math.floor(body.length / 2);
    const index = wipes.count;
    const { port } = new URL(svc.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`POST /v1/landmarks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`);
    await new Promise<void>((resolve) => socket.write(body.subarray(0, half), () => resolve()));
    await settle();
    expect(wipes.count).toBe(index); // still uploading: nothing wiped yet
    socket.destroy();
    const buffers = await wipes.after(index);
    await expectWiped(buffers, half - 400);
  });
});

describe('wipe ledger over HTTP: request deadline', () => {
  const wipes = new Wipes();
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ REQUEST_TIMEOUT_MS: '100' }, { ledgerObserver: wipes.observer });
  });
  afterAll(async () => { await svc?.close(); });

  it('a request that runs out of time: every owned buffer is zero, also after the late work ends', async () => {
    // A 12 MP photo cannot be decoded and searched for faces in 100 ms on this hardware class.
    const photo = await phonePhoto(2, 12);
    const index = wipes.count;
    const res = await postImage(`${svc.url}/v1/landmarks`, photo);
    expect(res.status).toBe(503);
    expect((await res.json() as { code: string }).code).toBe('timeout');
    const buffers = await wipes.after(index);
    await expectWiped(buffers, photo.length);
    // The worker may still be busy with the abandoned job; once it is done, check again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(buffers.filter((b) => !isZeroed(b)).length).toBe(0);
  });
});
