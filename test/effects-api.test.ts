import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { FaceSwapTemplate } from '../src/pipeline/kinds/index.js';
import { isZeroed, type Wipeable } from '../src/privacy/wipe-ledger.js';
import { withJpegComment } from './corpus.js';
import { readSample } from './samples.js';
import { authHeaders, postImage, startTestService, type TestService } from './service.js';

interface Problem { code: string; status: number; detail: string }
interface TemplateList { templates: { id: string; kind: string; slots: { anchors: Record<string, [number, number]> }[]; previewUrl: string }[] }

let svc: TestService;
const wipes: (readonly Wipeable[])[] = [];
beforeAll(async () => {
  svc = await startTestService({}, { ledgerObserver: { onWiped: (buffers) => { wipes.push([...buffers]); } } });
});
afterAll(async () => { await svc?.close(); });

const effect = (id: string, bytes: Uint8Array, fields: Record<string, string> = {}) => postImage(`${svc.url}/v1/effects/${id}`, bytes, fields);
const smallSample = async (n = 3, width = 960) => sharp(readSample(n)).resize(width).jpeg({ quality: 90 }).toBuffer();

describe('GET /v1/templates', () => {
  it('lists at least eight templates covering the three kinds and a two-slot template', async () => {
    const res = await fetch(`${svc.url}/v1/templates`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { templates } = await res.json() as TemplateList;
    expect(templates.length).toBeGreaterThanOrEqual(8);
    expect(new Set(templates.map((t) => t.kind))).toEqual(new Set(['overlay', 'face-in-hole', 'face-swap']));
    expect(templates.some((t) => t.slots.length >= 2)).toBe(true);
    for (const t of templates) {
      expect(t.previewUrl).toBe(`/v1/templates/${t.id}/preview`);
      expect(t.slots[0]!.anchors.leftEye![0]).toBeLessThan(t.slots[0]!.anchors.rightEye![0]);
    }
  });

  it('serves each preview as a cacheable PNG', async () => {
    const { templates } = await (await fetch(`${svc.url}/v1/templates`)).json() as TemplateList;
    for (const t of templates) {
      const res = await fetch(`${svc.url}${t.previewUrl}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect(Math.max(meta.width, meta.height)).toBe(384);
    }
  });

  it('answers 404 template_not_found for an unknown preview', async () => {
    const res = await fetch(`${svc.url}/v1/templates/nope/preview`);
    expect(res.status).toBe(404);
    expect((await res.json() as Problem).code).toBe('template_not_found');
  });
});

describe('POST /v1/effects/{templateId}', () => {
  it('returns a JPEG by default with no-store, Server-Timing for every stage and X-Faces-Used', async () => {
    const res = await effect('aviator-glasses', readSample(1));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const timing = res.headers.get('server-timing')!;
    for (const stage of ['decode', 'detect', 'composite', 'encode']) expect(timing).toMatch(new RegExp(`${stage};dur=\\d+\\.\\d`));
    expect(res.headers.get('x-faces-used')).toBe('3');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(1024);
  });

  it('face=largest and face=<index> use one face; maxSize sets the long edge', async () => {
    const largest = await effect('handlebar-mustache', readSample(1), { face: 'largest', maxSize: '512' });
    expect(largest.status).toBe(200);
    expect(largest.headers.get('x-faces-used')).toBe('1');
    expect((await sharp(Buffer.from(await largest.arrayBuffer())).metadata()).width).toBe(512);
    const second = await effect('handlebar-mustache', readSample(1), { face: '1' });
    expect(second.headers.get('x-faces-used')).toBe('1');
  });

  it('a tiny maxSize does not starve detection: faces are found on the detector\'s own copy of the upload', async () => {
    for (const maxSize of ['64', '96']) {
      const res = await effect('aviator-glasses', readSample(1), { maxSize, face: 'largest' });
      expect([maxSize, res.status, res.headers.get('x-faces-used')]).toEqual([maxSize, 200, '1']);
      expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(Number(maxSize));
    }
  });

  it('fills both slots of a two-slot template with the two largest faces', async () => {
    for (const id of ['superhero-duo', 'duo-swap']) {
      const res = await effect(id, await smallSample(3));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-faces-used')).toBe('2');
    }
  });

  it.each([
    ['png', 'png'], ['webp', 'webp'], ['avif', 'heif'], ['jpeg', 'jpeg'],
  ])('format=%s is honoured', async (format, sharpName) => {
    const res = await effect('royal-crown', await smallSample(), { format, maxSize: '256' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(`image/${format}`);
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).format).toBe(sharpName);
  });

  it('format=jpg is jpeg, and so is Accept: image/jpg', async () => {
    const res = await effect('royal-crown', await smallSample(), { format: 'jpg', maxSize: '256' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const form = new FormData();
    form.append('image', new Blob([await smallSample()]), 'p.jpg');
    form.append('maxSize', '256');
    const accepted = await fetch(`${svc.url}/v1/effects/royal-crown`, { method: 'POST', body: form, headers: { ...authHeaders(), Accept: 'image/jpg, image/png;q=0.9' } });
    expect(accepted.headers.get('content-type')).toBe('image/jpeg');
  });

  it('picks the format from the Accept header when the field is absent', async () => {
    const form = new FormData();
    form.append('image', new Blob([await smallSample()]), 'p.jpg');
    form.append('maxSize', '256');
    const res = await fetch(`${svc.url}/v1/effects/royal-crown`, { method: 'POST', body: form, headers: { ...authHeaders(), Accept: 'image/avif;q=0.5, image/webp, */*;q=0.1' } });
    expect(res.headers.get('content-type')).toBe('image/webp');
  });

  it('strength changes a face swap: 0 keeps the portrait, 100 differs from 50', async () => {
    const photo = await smallSample(1);
    const get = async (strength: string) => sharp(Buffer.from(await (await effect('portrait-swap', photo, { strength, format: 'png', maxSize: '512' })).arrayBuffer())).raw().toBuffer();
    const [none, half, full] = await Promise.all([get('0'), get('50'), get('100')]);
    const diff = (a: Buffer, b: Buffer) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!); return s / a.length; };
    expect(diff(none, half)).toBeGreaterThan(0.5);
    expect(diff(half, full)).toBeGreaterThan(0.3);
  });

  it('shape moves the portrait around the face: 0 and 100 differ outside the face, far away they agree', async () => {
    const photo = await smallSample(1);
    const get = async (shape: string) => sharp(Buffer.from(await (await effect('portrait-swap', photo, { shape, strength: '0', format: 'png', maxSize: '512' })).arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    const [flat, moved] = await Promise.all([get('0'), get('100')]);
    const template = svc.service.state.templates!.get('portrait-swap') as FaceSwapTemplate;
    const scale = flat.info.width / template.width;
    // strength 0 keeps the portrait's texture: only the geometry differs.
    const rows = (y0: number, y1: number) => { let s = 0; let n = 0; for (let y = y0; y < y1; y++) for (let i = y * flat.info.width * 3; i < (y + 1) * flat.info.width * 3; i++) { s += Math.abs(flat.data[i]! - moved.data[i]!); n++; } return s / n; };
    const chin = template.slots[0]!.landmarks![8]![1] * scale;
    expect(rows(Math.round(chin - 40 * scale), Math.round(chin + 10 * scale))).toBeGreaterThan(1);
    expect(rows(flat.info.height - 8, flat.info.height)).toBe(0);
  });

  it('never carries the input metadata (GPS EXIF, comment, XMP, ICC) into the output', async () => {
    const tagged = await sharp(readSample(3)).resize(960).withExif({
      IFD0: { Copyright: 'secret-owner', ImageDescription: 'secret-description' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    }).withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="secret-creator"/></rdf:RDF></x:xmpmeta>')
      .withIccProfile('p3').jpeg({ quality: 90 }).toBuffer();
    const input = withJpegComment(tagged, 'secret-comment');
    const inMeta = await sharp(input).metadata();
    expect(inMeta.exif).toBeDefined();
    expect(inMeta.xmp).toBeDefined();
    for (const [id, format] of [['aviator-glasses', 'jpeg'], ['astronaut', 'png'], ['portrait-swap', 'webp']] as const) {
      const res = await effect(id, input, { format });
      expect(res.status).toBe(200);
      const out = Buffer.from(await res.arrayBuffer());
      const meta = await sharp(out).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.comments ?? []).toEqual([]);
      const text = out.toString('latin1');
      for (const secret of ['secret-', 'Exif\0\0', 'adobe:ns:meta', 'ICC_PROFILE']) expect(text.includes(secret)).toBe(false);
    }
  });

  it('wipes every buffer of the request, the encoded answer included, once it is sent', async () => {
    wipes.length = 0;
    const res = await effect('knight', await smallSample());
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(wipes).toHaveLength(1);
    const buffers = wipes[0]!;
    expect(buffers.every(isZeroed)).toBe(true);
    expect(buffers.some((b) => b.byteLength === body.length)).toBe(true);
  });
});

describe('POST /v1/effects errors', () => {
  const expectProblem = async (res: Response, status: number, code: string): Promise<Problem> => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = await res.json() as Problem;
    expect(body.code).toBe(code);
    return body;
  };

  it('404 template_not_found for an unknown template', async () => {
    await expectProblem(await effect('no-such-template', readSample(1)), 404, 'template_not_found');
  });

  it('405 for another method', async () => {
    const res = await fetch(`${svc.url}/v1/effects/knight`, { headers: authHeaders() });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('422 no_face_detected for a photo without a face', async () => {
    const wall = await sharp(readSample(5)).extract({ left: 0, top: 0, width: 300, height: 1000 }).jpeg().toBuffer();
    await expectProblem(await effect('knight', wall), 422, 'no_face_detected');
  });

  it('422 face_pose_unsupported for a face swap onto a face turned past SWAP_MAX_YAW_DEGREES', async () => {
    // sample2's second-largest face looks sharply aside (about 56° of yaw by its landmarks): it
    // fills duo-swap's second slot. Other kinds take it; a higher limit lets it through.
    const body = await expectProblem(await effect('duo-swap', await smallSample(2)), 422, 'face_pose_unsupported');
    expect(body.detail).toMatch(/45°/);
    expect((await effect('superhero-duo', await smallSample(2))).status).toBe(200);
    expect((await effect('duo-swap', await smallSample(2), { face: 'largest' })).status).toBe(200);
  });

  it('422 no_face_detected when the face index does not exist', async () => {
    const body = await expectProblem(await effect('aviator-glasses', await smallSample(), { face: '7' }), 422, 'no_face_detected');
    expect(body.detail).toMatch(/Face 7 was asked for but 3 face/);
  });

  it.each([
    ['format', 'gif', /one of jpeg, png, webp, avif/],
    ['quality', '0', /integer from 1 to 100/],
    ['quality', 'high', /integer from 1 to 100/],
    ['strength', '101', /integer from 0 to 100/],
    ['shape', '-1', /integer from 0 to 100/],
    ['shape', 'x', /integer from 0 to 100/],
    ['face', 'biggest', /largest, all, or a face index/],
    ['maxSize', '10', /integer from 64 to 2048/],
    ['maxSize', '4096', /integer from 64 to 2048/],
  ])('400 invalid_parameter for %s=%s, naming the field', async (field, value, expected) => {
    const body = await expectProblem(await effect('knight', await smallSample(3, 320), { [field]: value }), 400, 'invalid_parameter');
    expect(body.detail).toContain(`"${field}"`);
    expect(body.detail).toMatch(expected);
  });

  it('400 invalid_parameter for an unknown field, listing the known ones without repeating the unknown name', async () => {
    const field = 'colour<script>x7';
    const body = await expectProblem(await effect('knight', await smallSample(3, 320), { [field]: 'red' }), 400, 'invalid_parameter');
    expect(body.detail).toContain('known fields: image, format, quality, strength, shape, face, maxSize');
    expect(JSON.stringify(body)).not.toContain('colour');
  });
});

describe('face_too_small', () => {
  let strict: TestService;
  beforeAll(async () => { strict = await startTestService({ EFFECT_MIN_FACE_PX: '300' }); });
  afterAll(async () => { await strict?.close(); });

  it('422 face_too_small when every face is narrower than EFFECT_MIN_FACE_PX in the upload', async () => {
    const res = await postImage(`${strict.url}/v1/effects/knight`, readSample(3));
    expect(res.status).toBe(422);
    const body = await res.json() as Problem;
    expect(body.code).toBe('face_too_small');
    expect(body.detail).toContain('300 pixels');
  });

  it('judges the width in pixels of the upload, not of the downscaled copy', async () => {
    // The same photo at 4× the size has faces of 600–880 px: accepted even with maxSize=256.
    const big = await sharp(readSample(3)).resize(3840).jpeg({ quality: 85 }).toBuffer();
    const res = await postImage(`${strict.url}/v1/effects/knight`, big, { maxSize: '256' });
    expect(res.status).toBe(200);
  });
});
