import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../../test/landmark-accuracy.js';
import { samplePath } from '../../test/samples.js';
import { decodeRaw, makeCrop } from '../../tools/bench/selfie-crops.js';
import { FACE_API_MODEL_DIR } from '../main.js';
import { loadFaceModel, type FaceModel } from './face-model.js';

/**
 * The cascade must not lose small faces to the close-up route: a portrait selfie with a group
 * photo pasted small below the face (faces of 20–45 px in the 512 px working copy) gives the
 * same faces as SSD@512 alone.
 */
let cascade: FaceModel;
let before: FaceModel;
beforeAll(async () => {
  const base = { backend: 'wasm' as const, modelDir: FACE_API_MODEL_DIR, minFaceScore: 0.5, maxFaces: 20 };
  cascade = await loadFaceModel(base);
  before = await loadFaceModel({ ...base, cascade: false });
});

describe('the cascade beside small faces', () => {
  it.each([[3, 1, 1080], [5, 6, 1080], [1, 5, 810], [6, 3, 720], [4, 2, 1080]])(
    'selfie of sample%i with sample%i pasted %i px wide: the same faces as SSD@512', async (selfie, group, width) => {
      const photo = await decodeRaw(readFileSync(samplePath(selfie)));
      const face = (await before.detect(new Uint8Array(photo.data), photo.width, photo.height))[0]!;
      const crop = await makeCrop(photo, face, { kind: 'mixed', fraction: 0.45, degrees: 0, mirror: false, blur: 0, centreY: 0.25 });
      const small = await sharp(samplePath(group)).resize(width).toBuffer();
      const { height } = await sharp(small).metadata();
      const mixed = await sharp(crop.jpeg).composite([{ input: small, left: 1080 - width, top: 1440 - height! }]).jpeg().toBuffer();
      const { data, info } = await sharp(mixed).resize(512, 512, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
      const mine = await cascade.detect(new Uint8Array(data), info.width, info.height);
      const theirs = await before.detect(new Uint8Array(data), info.width, info.height);
      expect(theirs.length).toBeGreaterThanOrEqual(3);
      expect(mine).toHaveLength(theirs.length);
      for (const t of theirs) expect(Math.max(...mine.map((m) => iou(m.box, t.box)))).toBeGreaterThan(0.9);
    });
});
