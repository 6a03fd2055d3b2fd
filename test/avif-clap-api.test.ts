import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whole, withClap } from './avif-clap.js';
import { readSample } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * Issue 13, item 7: an AVIF with a clean aperture (clap) is decoded cropped by libheif; the
 * answer must use the cropped size, and coordinates must agree with the same crop sent as PNG.
 */
interface LandmarksBody { width: number; height: number; faces: { box: { x: number; y: number; width: number; height: number } }[] }

let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

describe('AVIF with a clean aperture', () => {
  it('landmarks: the cropped size, and the face where the same crop as PNG puts it; effects: 200', async () => {
    const stored = await sharp(readSample(1)).resize(960).toBuffer({ resolveWithObject: true });
    const { width: W, height: H } = stored.info;
    // Keep the centre 640×480, shifted 80 px right and 40 px up of the image centre.
    const clap = { width: whole(640), height: whole(480), horizOff: whole(80), vertOff: whole(-40) };
    const avif = withClap(await sharp(stored.data).avif({ quality: 80, effort: 0 }).toBuffer(), clap);
    const left = Math.floor(80 + (W - 1) / 2 - (640 - 1) / 2);
    const top = Math.floor(-40 + (H - 1) / 2 - (480 - 1) / 2);
    const cropped = await sharp(avif.subarray(0)).png().toBuffer({ resolveWithObject: true });
    expect([cropped.info.width, cropped.info.height]).toEqual([640, 480]);
    const reference = await sharp(stored.data).extract({ left, top, width: 640, height: 480 }).png().toBuffer();

    const fromAvif = await (await postImage(`${svc.url}/v1/landmarks`, avif)).json() as LandmarksBody;
    const fromPng = await (await postImage(`${svc.url}/v1/landmarks`, reference)).json() as LandmarksBody;
    expect([fromAvif.width, fromAvif.height]).toEqual([640, 480]);
    expect(fromAvif.faces.length).toBeGreaterThan(0);
    expect(fromAvif.faces.length).toBe(fromPng.faces.length);
    const a = fromAvif.faces[0]!.box;
    const b = fromPng.faces[0]!.box;
    // Same face, same place (AVIF compression moves a detection by a few pixels at most).
    expect(Math.abs(a.x - b.x)).toBeLessThan(8);
    expect(Math.abs(a.y - b.y)).toBeLessThan(8);
    expect(Math.abs(a.width - b.width)).toBeLessThan(10);

    const effect = await postImage(`${svc.url}/v1/effects/knight`, avif);
    expect(effect.status).toBe(200);
    await effect.arrayBuffer();
  });
});
