import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readSample } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

interface Body {
  width: number;
  height: number;
  faces: { box: { x: number; y: number; width: number; height: number }; score: number; landmarks: [number, number][]; parts: Record<string, [number, number][]> }[];
}

let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

describe('POST /v1/landmarks on the face-api sample photos', () => {
  // Face counts SSD MobileNet v1 finds on the full-resolution photos (face-api's reference pipeline).
  const expectedFaces: Record<number, number> = { 1: 3, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4 };

  it.each(Object.entries(expectedFaces))('sample%s: finds every face, 68 points each, largest first', async (n, count) => {
    const res = await postImage(`${svc.url}/v1/landmarks`, readSample(Number(n)));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json() as Body;
    expect(body.width).toBe(1920);
    expect(body.faces).toHaveLength(count);
    const areas = body.faces.map((f) => f.box.width * f.box.height);
    expect(areas).toEqual([...areas].sort((a, b) => b - a));
    for (const face of body.faces) {
      expect(face.landmarks).toHaveLength(68);
      expect(face.parts.leftEye).toHaveLength(6);
      expect(face.parts.mouth).toHaveLength(20);
      expect(face.parts.jaw).toHaveLength(17);
      for (const [x, y] of face.landmarks) {
        expect(x).toBeGreaterThanOrEqual(face.box.x - face.box.width * 0.5);
        expect(x).toBeLessThanOrEqual(face.box.x + face.box.width * 1.5);
        expect(y).toBeGreaterThanOrEqual(face.box.y - face.box.height * 0.5);
        expect(y).toBeLessThanOrEqual(face.box.y + face.box.height * 1.5);
      }
    }
  });

  it('maps coordinates back: the same photo at half size gives the same landmarks within 2% of the face', async () => {
    const full = await (await postImage(`${svc.url}/v1/landmarks`, readSample(1))).json() as Body;
    const half = await sharp(readSample(1)).resize(960).jpeg({ quality: 92 }).toBuffer();
    const small = await (await postImage(`${svc.url}/v1/landmarks`, half)).json() as Body;
    expect(small.width).toBe(960);
    expect(small.faces).toHaveLength(full.faces.length);
    for (const face of full.faces) {
      // Matched by position, not by rank: two faces of nearly equal area may swap places.
      const centre = (f: Body['faces'][number], k: number): [number, number] => [(f.box.x + f.box.width / 2) * k, (f.box.y + f.box.height / 2) * k];
      const [cx, cy] = centre(face, 1);
      const other = [...small.faces].sort((a, b) =>
        Math.hypot(centre(a, 2)[0] - cx, centre(a, 2)[1] - cy) - Math.hypot(centre(b, 2)[0] - cx, centre(b, 2)[1] - cy))[0]!;
      const tolerance = face.box.width * 0.02 + 2;
      face.landmarks.forEach(([x, y], k) => {
        const [sx, sy] = other.landmarks[k]!;
        expect(Math.abs(sx * 2 - x)).toBeLessThan(tolerance * 2);
        expect(Math.abs(sy * 2 - y)).toBeLessThan(tolerance * 2);
      });
    }
  });
});
