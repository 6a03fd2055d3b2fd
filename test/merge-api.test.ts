import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isZeroed, type Wipeable } from '../src/privacy/wipe-ledger.js';
import { readSample } from './samples.js';
import { authHeaders, startTestService, type TestService } from './service.js';

/**
 * POST /v1/merge: the person's face swapped into a portrait the caller brings. Both uploads go
 * through the spine like any photo: header checks, the memory budget and the wipe ledger.
 */
let svc: TestService;
const wipes: (readonly Wipeable[])[] = [];
beforeAll(async () => {
  svc = await startTestService({}, { ledgerObserver: { onWiped: (buffers) => { wipes.push([...buffers]); } } });
});
afterAll(async () => { await svc?.close(); });

interface Problem { code: string; status: number; detail: string }

const crop = (n: number, region: { left: number; top: number; width: number; height: number }) =>
  sharp(readSample(n)).extract(region).jpeg({ quality: 92 }).toBuffer();
// The portrait of the portrait-swap template (one face) and the two-face crop of duo-swap.
const onePortrait = () => crop(3, { left: 425, top: 170, width: 520, height: 650 });
const twoPortrait = () => crop(6, { left: 560, top: 200, width: 920, height: 600 });
// The person: a close-up of sample1's largest face.
const person = () => crop(1, { left: 1380, top: 120, width: 420, height: 520 });

async function merge(files: Record<string, Uint8Array>, fields: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [name, bytes] of Object.entries(files)) form.append(name, new Blob([bytes], { type: 'image/jpeg' }), `${name}.jpg`);
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return fetch(`${svc.url}/v1/merge`, { method: 'POST', headers: authHeaders(), body: form });
}

async function raw(res: Response): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('POST /v1/merge', () => {
  it('answers the portrait at its own size with the person\'s face in it; the portrait away from the face is kept', async () => {
    const portrait = await onePortrait();
    const res = await merge({ image: await person(), template: portrait }, { format: 'png' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-faces-used')).toBe('1');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const out = await raw(res);
    expect([out.width, out.height]).toEqual([520, 650]);
    const original = await sharp(portrait).raw().toBuffer();
    // The bottom rows (clothes) are the portrait's; the face region differs.
    const rowDiff = (from: number, to: number): number => {
      let sum = 0;
      for (let i = from * 520 * 3; i < to * 520 * 3; i++) sum += Math.abs(out.data[i]! - original[i]!);
      return sum / ((to - from) * 520 * 3);
    };
    const kept = rowDiff(620, 650);
    const face = rowDiff(150, 400);
    expect(kept).toBeLessThan(4);
    expect(face).toBeGreaterThan(3);
    expect(face).toBeGreaterThan(3 * kept);
  });

  it('fills every face of the portrait, or only templateFace', async () => {
    const portrait = await twoPortrait();
    const all = await merge({ image: readSample(1), template: portrait }, { maxSize: '512' });
    expect([all.status, all.headers.get('x-faces-used')]).toEqual([200, '2']);
    const meta = await sharp(Buffer.from(await all.arrayBuffer())).metadata();
    expect(Math.max(meta.width, meta.height)).toBe(512);
    const one = await merge({ image: readSample(1), template: portrait }, { templateFace: '1', face: 'largest' });
    expect([one.status, one.headers.get('x-faces-used')]).toEqual([200, '1']);
    await one.arrayBuffer();
  });

  it('422 no_face_detected for a portrait without a face, saying it is the portrait', async () => {
    const blank = await sharp({ create: { width: 400, height: 500, channels: 3, background: '#8899aa' } }).jpeg().toBuffer();
    const res = await merge({ image: await person(), template: blank });
    expect(res.status).toBe(422);
    const body = await res.json() as Problem;
    expect(body.code).toBe('no_face_detected');
    expect(body.detail).toContain('template portrait');
  });

  it('400 missing_image naming the missing file; refuses an unknown field without echoing it', async () => {
    const missing = await merge({ image: await person() });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'missing_image', detail: expect.stringContaining('"template"') });
    const unknown = await merge({ image: await person(), template: await onePortrait() }, { tint_q9: 'x' });
    const body = await unknown.json() as Problem;
    expect([unknown.status, body.code]).toEqual([400, 'invalid_parameter']);
    expect(body.detail).toContain('templateFace');
    expect(body.detail).not.toContain('tint_q9');
  });

  it('both uploads are refused by the same header checks (a GIF portrait: 415)', async () => {
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;', 'latin1');
    const res = await merge({ image: await person(), template: gif });
    expect([res.status, ((await res.json()) as Problem).code]).toEqual([415, 'unsupported_media_type']);
  });

  it('wipes both uploads, both decoded photos and the answer once it is sent', async () => {
    const before = wipes.length;
    const image = await person();
    const template = await onePortrait();
    const res = await merge({ image, template });
    expect(res.status).toBe(200);
    const answer = Buffer.from(await res.arrayBuffer());
    for (let i = 0; i < 200 && wipes.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    const buffers = wipes.slice(before).flat();
    expect(buffers.every(isZeroed)).toBe(true);
    // The two uploads (owned buffers of their exact sizes or larger) and the encoded answer were on the ledger.
    const sizes = buffers.map((b) => b.byteLength);
    expect(sizes.filter((n) => n >= image.length).length).toBeGreaterThanOrEqual(3);
    expect(sizes).toContain(answer.length);
  });
});
