import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readSample } from '../../test/samples.js';
import { decodeRaw, makeCrop, SELFIE_KINDS } from '../../tools/bench/selfie-crops.js';
import { FACE_API_MODEL_DIR } from '../main.js';
import { loadFaceModel, type FaceModel } from './face-model.js';
import type { Pose } from './pose.js';

/**
 * Pose on real photos with known changes: portrait crops of sample faces turned by ±15° (the
 * face appears turned by ∓15°, so roll moves by ∓15) and mirrored (yaw and roll flip, pitch stays).
 */
let model: FaceModel;
let reference: FaceModel;
beforeAll(async () => {
  const base = { backend: 'wasm' as const, modelDir: FACE_API_MODEL_DIR, minFaceScore: 0.5, maxFaces: 20 };
  model = await loadFaceModel(base);
  reference = await loadFaceModel({ ...base, cascade: false });
});

async function poses(n: number): Promise<Record<string, Pose>> {
  const photo = await decodeRaw(readSample(n));
  const copy = new Uint8Array(photo.data);
  const face = (await reference.detect(copy, photo.width, photo.height))[0]!;
  const out: Record<string, Pose> = {};
  for (const spec of SELFIE_KINDS.filter((k) => ['plain-80', 'roll+15', 'roll-15', 'mirror'].includes(k.kind))) {
    const crop = await makeCrop(photo, face, spec);
    const { data, info } = await sharp(crop.jpeg).resize(512, 512, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
    const found = await model.detect(new Uint8Array(data), info.width, info.height);
    expect(found, `sample${n} ${spec.kind}`).toHaveLength(1);
    out[spec.kind] = found[0]!.pose!;
  }
  return out;
}

describe('pose on rotated and mirrored crops of real faces', () => {
  it.each([3, 5, 6])('sample%i: roll follows the turn, yaw and roll flip in the mirror, pitch stays', async (n) => {
    const p = await poses(n);
    const plain = p['plain-80']!;
    expect(Math.abs(p['roll+15']!.roll - (plain.roll - 15))).toBeLessThan(6);
    expect(Math.abs(p['roll-15']!.roll - (plain.roll + 15))).toBeLessThan(6);
    expect(Math.abs(p.mirror!.yaw + plain.yaw)).toBeLessThan(6);
    expect(Math.abs(p.mirror!.roll + plain.roll)).toBeLessThan(6);
    for (const kind of ['roll+15', 'roll-15', 'mirror']) expect(Math.abs(p[kind]!.pitch - plain.pitch)).toBeLessThan(12);
    // The yaw of a turned face is its own: the turn is in the image plane.
    expect(Math.abs(p['roll+15']!.yaw - plain.yaw)).toBeLessThan(8);
  });
});
