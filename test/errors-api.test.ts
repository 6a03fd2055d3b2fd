import sharp from 'sharp';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Wipeable } from '../src/privacy/wipe-ledger.js';
import { notImages, pngBomb, truncated } from './corpus.js';
import { BMP_SAMPLE, HEIC_SAMPLE, jpegDeclaring, jpegWithBrokenTables, refusedFormats } from './input-corpus.js';
import { multipartBody, rawExchange, requestHead } from './raw-http.js';
import { readSample } from './samples.js';
import { authHeaders, postImage, startTestService, type TestService } from './service.js';

/**
 * Every bad input of the issue, over real HTTP against the real service: the right status, an
 * RFC 9457 problem+json body with a stable code, Cache-Control: no-store — and the process keeps
 * serving afterwards.
 */
const MAX_UPLOAD_BYTES = 256 * 1024;

let svc: TestService;
let port: number;
const ledgers: (readonly Wipeable[])[] = [];

beforeAll(async () => {
  svc = await startTestService(
    { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) },
    { ledgerObserver: { onWiped: (buffers) => { ledgers.push(buffers); } } },
  );
  port = (svc.service.server.address() as AddressInfo).port;
});
afterAll(async () => { await svc?.close(); });

const landmarks = () => `${svc.url}/v1/landmarks`;

interface Problem { type: string; title: string; status: number; detail: string; code: string }

async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as Problem;
  expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
  expect(body).toMatchObject({ status, code, type: `/problems/${code}` });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

function form(files: readonly { field: string; bytes: Uint8Array; name?: string; type?: string }[], fields: Record<string, string> = {}): FormData {
  const data = new FormData();
  for (const f of files) data.append(f.field, new Blob([f.bytes], f.type ? { type: f.type } : {}), f.name ?? 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return data;
}

const post = (body: string | Uint8Array | FormData, headers: Record<string, string> = {}) =>
  fetch(landmarks(), { method: 'POST', body, headers: { ...authHeaders(), ...headers } });

/** Waits (bounded) for the ledger of the request just answered: it is wiped on 'finish'. */
async function nextLedger(before: number): Promise<readonly Wipeable[]> {
  for (let i = 0; i < 200 && ledgers.length <= before; i++) await new Promise((r) => setTimeout(r, 10));
  const ledger = ledgers[before];
  if (!ledger) throw new Error('no ledger was wiped for the request');
  return ledger;
}

describe('missing or extra files (400)', () => {
  it('no file at all, only a text field → missing_image', async () => {
    await expectProblem(await post(form([], { note: 'hello' })), 400, 'missing_image');
  });

  it('an empty multipart body (closing boundary only) → missing_image', async () => {
    const body = multipartBody('b0undary', []);
    await expectProblem(await post(body, { 'Content-Type': 'multipart/form-data; boundary=b0undary' }), 400, 'missing_image');
  });

  it('multipart/form-data with an empty body → missing_image (it is multipart, just empty)', async () => {
    await expectProblem(await post('', { 'Content-Type': 'multipart/form-data; boundary=b0undary' }), 400, 'missing_image');
    await expectProblem(await post('', { 'Content-Type': 'Multipart/Form-Data ; boundary=b0undary' }), 400, 'missing_image');
  });

  it('the photo in the wrong field → missing_image, naming the expected field and not echoing the client\'s', async () => {
    const problem = await expectProblem(await post(form([{ field: 'photo', bytes: readSample(1) }])), 400, 'missing_image');
    expect(problem.detail).toContain('"image"');
    expect(problem.detail).not.toContain('photo');
  });

  it('"image" sent as a text field instead of a file → missing_image', async () => {
    await expectProblem(await post(form([], { image: 'not a file' })), 400, 'missing_image');
  });

  it('an empty file → missing_image', async () => {
    const problem = await expectProblem(await post(form([{ field: 'image', bytes: new Uint8Array(0) }])), 400, 'missing_image');
    expect(problem.detail).toMatch(/empty/);
  });

  it('two files in "image", or one in "image" and one elsewhere → too_many_files', async () => {
    const photo = readSample(1);
    await expectProblem(await post(form([{ field: 'image', bytes: photo }, { field: 'image', bytes: photo }])), 400, 'too_many_files');
    await expectProblem(await post(form([{ field: 'image', bytes: photo }, { field: 'other', bytes: photo }])), 400, 'too_many_files');
  });
});

describe('not multipart (415 not_multipart)', () => {
  it.each([
    ['a JSON body', JSON.stringify({ image: 'aGVsbG8=' }), 'application/json'],
    ['an urlencoded body', 'image=aGVsbG8%3D', 'application/x-www-form-urlencoded'],
    ['a raw image/jpeg body', readSample(1), 'image/jpeg'],
    ['text/plain', 'hello', 'text/plain'],
    ['multipart/mixed', multipartBody('b', [{ name: 'image', filename: 'a.jpg', data: 'x' }]), 'multipart/mixed; boundary=b'],
  ] as const)('%s', async (_name, body, type) => {
    await expectProblem(await post(body, { 'Content-Type': type }), 415, 'not_multipart');
  });

  it('a POST without any body or Content-Type', async () => {
    await expectProblem(await fetch(landmarks(), { method: 'POST', headers: authHeaders() }), 415, 'not_multipart');
  });
});

describe('transfer encodings', () => {
  it('a chunked upload without Content-Length is received whole', async () => {
    const body = multipartBody('chunky', [{ name: 'image', filename: 'a.jpg', contentType: 'image/jpeg', data: readSample(1) }]);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 7000) controller.enqueue(body.subarray(at, at + 7000));
        controller.close();
      },
    });
    const res = await fetch(landmarks(), {
      method: 'POST', body: stream, headers: { ...authHeaders(), 'Content-Type': 'multipart/form-data; boundary=chunky' }, duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { faces: unknown[] }).faces).toHaveLength(3);
  });

  it('a chunked upload over MAX_UPLOAD_BYTES → 413 payload_too_large', async () => {
    const body = multipartBody('chunky', [{ name: 'image', filename: 'a.jpg', data: Buffer.alloc(MAX_UPLOAD_BYTES + 10_000, 1) }]);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 16_384) controller.enqueue(body.subarray(at, at + 16_384));
        controller.close();
      },
    });
    const res = await fetch(landmarks(), {
      method: 'POST', body: stream, headers: { ...authHeaders(), 'Content-Type': 'multipart/form-data; boundary=chunky' }, duplex: 'half',
    } as RequestInit);
    await expectProblem(res, 413, 'payload_too_large');
  });
});

describe('too big (413 payload_too_large)', () => {
  it('a real photo over MAX_UPLOAD_BYTES', async () => {
    const big = readSample(6);
    expect(big.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
    const problem = await expectProblem(await postImage(landmarks(), big), 413, 'payload_too_large');
    // Said as people read it (MAX_UPLOAD_BYTES is 256 KiB here), never as a byte count.
    expect(problem.detail).toContain('the limit of 256 KiB');
    expect(problem.detail).not.toContain(String(MAX_UPLOAD_BYTES));
  });

  it('exactly MAX_UPLOAD_BYTES is accepted, one byte more is not', async () => {
    const photo = await sharp(readSample(1)).resize(800).jpeg().toBuffer();
    // Bytes after the JPEG's end-of-image marker are ignored by the decoder.
    const atLimit = Buffer.concat([photo, Buffer.alloc(MAX_UPLOAD_BYTES - photo.length)]);
    const ok = await postImage(landmarks(), atLimit);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { faces: unknown[] }).faces).toHaveLength(3);
    const over = Buffer.concat([atLimit, Buffer.alloc(1)]);
    await expectProblem(await postImage(landmarks(), over), 413, 'payload_too_large');
  });

  it('a body declared far over the limit is refused before any of it is sent', async () => {
    // Only the head is sent: without the early check this would wait for the body (and time out).
    const { response } = rawExchange(port, [requestHead('/v1/landmarks', {
      'Content-Type': 'multipart/form-data; boundary=big', 'Content-Length': 100 * 1024 * 1024,
    })]);
    const res = await response;
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('a 3 MiB upload of random bytes', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    await expectProblem(await postImage(landmarks(), big), 413, 'payload_too_large');
  });
});

describe('not an accepted image (415 unsupported_media_type), whatever the name and Content-Type say', () => {
  const lying = { name: 'photo.jpg', type: 'image/jpeg' };

  it.each([
    ['svg', () => notImages.svg, 'no supported image'],
    ['pdf', () => notImages.pdf, 'pdf'],
    ['html', () => notImages.html, 'no supported image'],
    ['random bytes', () => notImages.random, 'no supported image'],
    ['a 1×1 GIF', () => notImages.gif, 'gif'],
    ['a HEIC photo', () => HEIC_SAMPLE, 'heic'],
    ['a BMP', () => BMP_SAMPLE, 'bmp'],
  ] as const)('%s named photo.jpg, sent as image/jpeg', async (_name, bytes, detected) => {
    const res = await post(form([{ field: 'image', bytes: bytes(), ...lying }]));
    const problem = await expectProblem(res, 415, 'unsupported_media_type');
    expect(problem.detail).toContain(`looks like ${detected}`);
    // Every refusal says what to send instead.
    expect(problem.detail).toMatch(/send|export|convert/i);
    if (detected === 'heic') expect(problem.detail).toContain('Settings → Camera → Formats → Most Compatible');
  });

  it('a real GIF and a real TIFF of a sample photo', async () => {
    const { gif, tiff } = await refusedFormats();
    for (const [bytes, detected] of [[gif, 'gif'], [tiff, 'tiff']] as const) {
      const problem = await expectProblem(await post(form([{ field: 'image', bytes, ...lying }])), 415, 'unsupported_media_type');
      expect(problem.detail).toContain(detected);
    }
  });

  it('a JPEG named .png and sent as image/png is accepted; one sent as SVG is accepted too', async () => {
    const jpeg = await sharp(readSample(1)).resize(960).jpeg().toBuffer();
    for (const lie of [{ name: 'photo.png', type: 'image/png' }, { name: 'drawing.svg', type: 'image/svg+xml' }, { name: 'x', type: 'application/octet-stream' }]) {
      const res = await post(form([{ field: 'image', bytes: jpeg, ...lie }]));
      expect(res.status).toBe(200);
      const body = await res.json() as { width: number; faces: unknown[] };
      expect(body.width).toBe(960);
      expect(body.faces).toHaveLength(3);
    }
  });
});

describe('damaged images (422 image_decode_failed)', () => {
  it('a truncated JPEG (header intact)', async () => {
    const problem = await expectProblem(await postImage(landmarks(), truncated(readSample(2), 0.6)), 422, 'image_decode_failed');
    expect(problem.detail).toMatch(/truncated or corrupt/);
  });

  it('a JPEG with broken Huffman tables', async () => {
    await expectProblem(await postImage(landmarks(), jpegWithBrokenTables(readSample(3))), 422, 'image_decode_failed');
  });

  it('a JPEG cut inside its header', async () => {
    const problem = await expectProblem(await postImage(landmarks(), readSample(3).subarray(0, 40)), 422, 'image_decode_failed');
    expect(problem.detail).toMatch(/JPEG header is damaged/);
  });

  it('a truncated PNG', async () => {
    const png = await sharp(readSample(4)).resize(320).png().toBuffer();
    expect(png.length).toBeLessThan(MAX_UPLOAD_BYTES);
    await expectProblem(await postImage(landmarks(), truncated(png, 0.5)), 422, 'image_decode_failed');
  });
});

describe('decompression bombs (413 image_too_large), refused from the header', () => {
  it('a ~1 KB PNG declaring 40000×40000: refused before anything is decoded', async () => {
    const bomb = pngBomb(40_000);
    const before = ledgers.length;
    const problem = await expectProblem(await postImage(landmarks(), bomb), 413, 'image_too_large');
    expect(problem.detail).toBe('The image declares 1600000000 pixels; the limit is 50000000 (50 megapixels): send a smaller photo.');
    // The request's ledger held the upload alone: no decoded pixels were ever allocated.
    const owned = await nextLedger(before);
    const ownedBytes = owned.reduce((sum, b) => sum + b.byteLength, 0);
    expect(ownedBytes).toBeLessThan(bomb.length * 4 + 64 * 1024);
  });

  it('a small JPEG declaring 60000×60000', async () => {
    const bomb = jpegDeclaring(await sharp(readSample(1)).resize(64).jpeg().toBuffer(), 60_000, 60_000);
    const before = ledgers.length;
    await expectProblem(await postImage(landmarks(), bomb), 413, 'image_too_large');
    const owned = await nextLedger(before);
    expect(owned.reduce((sum, b) => sum + b.byteLength, 0)).toBeLessThan(64 * 1024 + bomb.length * 4);
  });
});

describe('malformed multipart (400 malformed_multipart)', () => {
  it('Content-Type multipart/form-data without a boundary', async () => {
    const body = multipartBody('xyz', [{ name: 'image', filename: 'a.jpg', data: readSample(1) }]);
    const { response } = rawExchange(port, [
      requestHead('/v1/landmarks', { 'Content-Type': 'multipart/form-data', 'Content-Length': body.length, Connection: 'close' }), body,
    ]);
    const res = await response;
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'malformed_multipart' });
  });

  it('a body cut off before the closing boundary', async () => {
    const whole = multipartBody('cut', [{ name: 'image', filename: 'a.jpg', contentType: 'image/jpeg', data: readSample(1) }], false);
    const cut = whole.subarray(0, whole.length - 5000);
    const problem = await expectProblem(await post(cut, { 'Content-Type': 'multipart/form-data; boundary=cut' }), 400, 'malformed_multipart');
    expect(problem.detail).toMatch(/Unexpected end of form/);
  });

  it('a body that never mentions its boundary', async () => {
    await expectProblem(await post('just some bytes\r\n', { 'Content-Type': 'multipart/form-data; boundary=nope' }), 400, 'malformed_multipart');
  });

  it('more text fields than the route accepts', async () => {
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, 'v']));
    const problem = await expectProblem(await post(form([{ field: 'image', bytes: readSample(1) }], fields)), 400, 'malformed_multipart');
    expect(problem.detail).toMatch(/LIMIT_(FIELD|PART)_COUNT/);
  });

  it('a field name over its size limit', async () => {
    const problem = await expectProblem(await post(form([{ field: 'image', bytes: readSample(1) }], { ['n'.repeat(100)]: 'v' })), 400, 'malformed_multipart');
    expect(problem.detail).toMatch(/LIMIT_FIELD_KEY/);
  });

  it('a text field value over its size limit', async () => {
    const problem = await expectProblem(await post(form([{ field: 'image', bytes: readSample(1) }], { note: 'x'.repeat(5000) })), 400, 'malformed_multipart');
    expect(problem.detail).toMatch(/LIMIT_FIELD_VALUE/);
  });
});

describe('routes and methods', () => {
  it('unknown routes → 404 not_found', async () => {
    await expectProblem(await fetch(`${svc.url}/nope`), 404, 'not_found');
    await expectProblem(await fetch(`${svc.url}/v1/landmark`, { method: 'POST', body: form([{ field: 'image', bytes: readSample(1) }]), headers: authHeaders() }), 404, 'not_found');
    await expectProblem(await fetch(`${svc.url}/v2/landmarks`), 404, 'not_found');
  });

  it('a path that cannot be URL-decoded is just an unknown route → 404 not_found', async () => {
    await expectProblem(await fetch(`${svc.url}/v1/%E0%A4%A`, { headers: authHeaders() }), 404, 'not_found');
    await expectProblem(await fetch(`${svc.url}/v1/landmarks%`, { method: 'POST', headers: authHeaders() }), 404, 'not_found');
  });

  it('wrong method → 405 with Allow', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(landmarks(), { method, headers: authHeaders() });
      expect(res.headers.get('allow')).toBe('POST');
      await expectProblem(res, 405, 'method_not_allowed');
    }
    const health = await fetch(`${svc.url}/healthz`, { method: 'POST', body: 'x' });
    expect(health.headers.get('allow')).toBe('GET, HEAD');
    await expectProblem(health, 405, 'method_not_allowed');
  });
});

describe('after all of that', () => {
  it('the service still answers /healthz and a good /v1/landmarks', async () => {
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const res = await postImage(landmarks(), readSample(1));
    expect(res.status).toBe(200);
    const body = await res.json() as { width: number; height: number; faces: unknown[] };
    expect([body.width, body.height, body.faces.length]).toEqual([1920, 1280, 3]);
  });
});
