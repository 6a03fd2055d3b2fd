import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asFormat, exifRotated, phonePhoto } from './corpus.js';
import { exifBlock, jpegWithExif, ORIENTATIONS, oriented } from './input-corpus.js';
import { readSample } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * The same faces whatever the photo's EXIF orientation, size or format: landmarks are reported
 * in pixels of the upright image and agree with the upright photo's within a tolerance relative
 * to the face's size.
 */
interface Face { box: { x: number; y: number; width: number; height: number }; score: number; landmarks: [number, number][] }
interface Body { width: number; height: number; faces: Face[] }

let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

async function landmarksOf(bytes: Uint8Array): Promise<Body> {
  const res = await postImage(`${svc.url}/v1/landmarks`, bytes);
  const text = await res.text();
  expect({ status: res.status, text: text.slice(0, 200) }).toMatchObject({ status: 200 });
  return JSON.parse(text) as Body;
}

const centre = (f: Face): [number, number] => [f.box.x + f.box.width / 2, f.box.y + f.box.height / 2];

/**
 * Pairs every reference face (scaled by `scale`) with the candidate face whose box centre is
 * nearest and returns, per face, the mean and the largest landmark distance divided by the
 * face's width. A wrong orientation or scale gives errors near or above 1 (a face width off).
 */
function landmarkErrors(reference: Body, candidate: Body, scale = 1): { mean: number; max: number }[] {
  expect(candidate.faces).toHaveLength(reference.faces.length);
  return reference.faces.map((ref) => {
    const [cx, cy] = centre(ref);
    const match = candidate.faces.reduce((best, face) => {
      const [x, y] = centre(face);
      const [bx, by] = centre(best);
      return Math.hypot(x - cx * scale, y - cy * scale) < Math.hypot(bx - cx * scale, by - cy * scale) ? face : best;
    });
    const distances = ref.landmarks.map(([x, y], k) => {
      const [mx, my] = match.landmarks[k]!;
      return Math.hypot(mx - x * scale, my - y * scale) / (ref.box.width * scale);
    });
    return { mean: distances.reduce((a, b) => a + b, 0) / distances.length, max: Math.max(...distances) };
  });
}

/** Same photo, same faces: on average within 5% of the face's width, no point off by more than 12%. */
function expectSameFaces(label: string, reference: Body, candidate: Body, scale = 1): void {
  const errors = landmarkErrors(reference, candidate, scale);
  console.log(`${label}: landmark error / face width, mean|max per face:`, errors.map((e) => `${e.mean.toFixed(3)}|${e.max.toFixed(3)}`).join(' '));
  for (const { mean, max } of errors) {
    expect(mean, label).toBeLessThan(0.05);
    expect(max, label).toBeLessThan(0.12);
  }
}

/** The landmarks mirrored left-right within the image: what a missed orientation 2 would report. */
function mirrored(body: Body): Body {
  return {
    ...body,
    faces: body.faces.map((f) => ({
      ...f,
      box: { ...f.box, x: body.width - f.box.x - f.box.width },
      landmarks: f.landmarks.map(([x, y]) => [body.width - x, y] as [number, number]),
    })),
  };
}

describe('EXIF orientation', () => {
  let upright: Body;
  beforeAll(async () => {
    upright = await landmarksOf(await oriented(1, 1, 1440));
    expect([upright.width, upright.height, upright.faces.length]).toEqual([1440, 960, 3]);
  });

  it.each(ORIENTATIONS.filter((o) => o !== 1))('orientation %i: upright size, the upright photo\'s landmarks', async (orientation) => {
    const body = await landmarksOf(await oriented(1, orientation, 1440));
    expect([body.width, body.height]).toEqual([1440, 960]);
    expectSameFaces(`orientation ${orientation}`, upright, body);
  });

  it('the measure tells orientations apart: the upright landmarks mirrored are far off', () => {
    for (const { mean } of landmarkErrors(upright, mirrored(upright))) expect(mean).toBeGreaterThan(0.3);
  });

  it('a JPEG with two Exif segments (6, then 1) is turned by the first, as viewers and libvips do', async () => {
    const stored = await sharp(readSample(1)).resize(1440).rotate(270).jpeg({ quality: 92 }).toBuffer();
    const body = await landmarksOf(jpegWithExif(stored, exifBlock('II', 6), exifBlock('II', 1)));
    expect([body.width, body.height]).toEqual([1440, 960]);
    expectSameFaces('two Exif segments', upright, body);
  });

  it.each([6, 8, 3] as const)('corpus exifRotated(2, %i) matches sample2 upright', async (orientation) => {
    const reference = await landmarksOf(readSample(2));
    const body = await landmarksOf(await exifRotated(2, orientation));
    expect([body.width, body.height]).toEqual([1920, 1367]);
    expectSameFaces(`exifRotated(2, ${orientation})`, reference, body);
  });
});

describe('phone photos', () => {
  it.each([12, 48] as const)('%i MP: same faces as the sample, coordinates in full-size pixels', async (megapixels) => {
    const photo = await phonePhoto(1, megapixels);
    const [width, height] = megapixels === 48 ? [8064, 6048] : [4032, 3024];
    // The reference: the same 4:3 crop at 1008×756; coordinates scale by width / 1008.
    const small = await sharp(readSample(1)).resize(1008, 756, { fit: 'cover' }).jpeg({ quality: 85 }).toBuffer();
    const reference = await landmarksOf(small);
    expect(reference.faces).toHaveLength(3);
    const body = await landmarksOf(photo);
    expect([body.width, body.height]).toEqual([width, height]);
    expectSameFaces(`${megapixels} MP (${photo.length} bytes)`, reference, body, width / 1008);
  });
});

describe('formats', () => {
  it.each(['png', 'webp', 'avif'] as const)('%s gives the faces the JPEG gives', async (format) => {
    const jpeg = await sharp(readSample(4)).resize(960).jpeg({ quality: 95 }).toBuffer();
    const reference = await landmarksOf(jpeg);
    expect(reference.faces).toHaveLength(4);
    const body = await landmarksOf(await asFormat(4, format));
    expect([body.width, body.height]).toEqual([reference.width, reference.height]);
    expectSameFaces(format, reference, body);
  });
});
