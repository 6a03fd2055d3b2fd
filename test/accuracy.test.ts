import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { loadFaceModel, type FaceModel } from '../src/faces/face-model.js';
import { FACE_API_MODEL_DIR } from '../src/main.js';
import { decodeToMaxSide } from '../src/imaging/decode.js';
import { WipeLedger } from '../src/privacy/wipe-ledger.js';
import { compareFaces, nearestError, type FaceComparison, type FaceLike } from './landmark-accuracy.js';
import { decodeRaw, LOOKING_DOWN, makeCrop, SELFIE_KINDS, type CropSpec } from '../tools/bench/selfie-crops.js';
import { readSample, SAMPLE_NUMBERS } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * Accuracy guard for the speed work (working size, detector): the service's answer is compared
 * with face-api's own reference pipeline — SSD MobileNet v1 + 68 landmarks on the
 * full-resolution decode, run here in-process. Every reference face at least 80 px wide must be
 * found (box IoU ≥ 0.5), and the mean landmark error, normalised by the distance between the
 * eye centres, must be ≤ 0.05.
 */
let svc: TestService;
let reference: FaceModel;
beforeAll(async () => {
  svc = await startTestService();
  const config = loadConfig({});
  reference = await loadFaceModel({
    backend: 'wasm', modelDir: FACE_API_MODEL_DIR, minFaceScore: config.minFaceScore, maxFaces: config.maxFaces, cascade: false,
  });
});
afterAll(async () => { await svc?.close(); });

/** The detector before the cascade: SSD@512 on the 512 px working copy, mapped back to the photo's pixels. */
async function previousDetector(bytes: Uint8Array): Promise<FaceLike[]> {
  const ledger = new WipeLedger();
  const header = await sharp(bytes).metadata();
  const small = await decodeToMaxSide(bytes, 512, { maxInputPixels: 50_000_000 }, ledger);
  const scale = header.width! / small.width;
  const faces = await reference.detect(small.data, small.width, small.height);
  ledger.wipeAll();
  return faces.map((f) => ({
    box: { x: f.box.x * scale, y: f.box.y * scale, width: f.box.width * scale, height: f.box.height * scale },
    landmarks: f.landmarks.map(([x, y]) => [x * scale, y * scale] as const),
  }));
}

/** face-api's reference pipeline (SSD@512, no cascade) on the full-resolution decode. */
async function referenceFaces(bytes: Uint8Array): Promise<FaceLike[]> {
  const ledger = new WipeLedger();
  const full = await decodeToMaxSide(bytes, 100_000, { maxInputPixels: 50_000_000 }, ledger);
  const faces = await reference.detect(full.data, full.width, full.height);
  ledger.wipeAll();
  return faces.map((f) => ({ box: f.box, landmarks: f.landmarks }));
}

describe('accuracy against the full-resolution reference pipeline', () => {
  it(`finds every reference face ≥ 80 px wide and keeps the mean landmark error ≤ 0.05 IOD (DETECT_MAX_SIDE=${loadConfig({}).detectMaxSide})`, async () => {
    const all: (FaceComparison & { sample: number })[] = [];
    for (const n of SAMPLE_NUMBERS) {
      const bytes = readSample(n);
      const res = await postImage(`${svc.url}/v1/landmarks`, bytes);
      expect(res.status).toBe(200);
      const body = await res.json() as { faces: FaceLike[] };
      const ref = await referenceFaces(bytes);
      expect(ref.length).toBeGreaterThan(0);
      for (const c of compareFaces(body.faces, ref)) all.push({ ...c, sample: n });
    }
    const large = all.filter((c) => c.referenceWidth >= 80);
    const missed = large.filter((c) => c.error === undefined);
    expect(missed).toEqual([]);
    const errors = all.flatMap((c) => (c.error === undefined ? [] : [c.error]));
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const worst = Math.max(...errors);
    console.log(`accuracy: ${errors.length} faces matched of ${all.length} reference faces (${large.length} ≥ 80 px), ` +
      `mean normalised landmark error ${mean.toFixed(4)}, worst face ${worst.toFixed(4)}, ` +
      `min IoU ${Math.min(...large.map((c) => c.iou)).toFixed(3)}`);
    expect(large.length).toBeGreaterThanOrEqual(20);
    expect(mean).toBeLessThanOrEqual(0.05);
  });
});

describe('selfie crops against the geometric reference', () => {
  // Portrait 1080 × 1440 crops of every reference face of the six samples (face box at 40, 60 and
  // 80 % of the width; ±15° and ±35° rolls; mirrored; blurred), and the girl looking down in
  // sample2. The reference is the sample's reference face carried through the crop's geometry.
  // Beside the service's answer, the detector as it was before the cascade (SSD@512 on the
  // 512 px working copy, in-process) answers the same crop, for the printed comparison.
  it('finds the face in every crop, with the landmark error per kind reported', async () => {
    const now = new Map<string, (number | undefined)[]>();
    const before = new Map<string, (number | undefined)[]>();
    const missed: string[] = [];
    const record = (map: Map<string, (number | undefined)[]>, kind: string, error: number | undefined): void => {
      map.set(kind, [...(map.get(kind) ?? []), error]);
    };
    const run = async (n: number, face: FaceLike, index: number, spec: CropSpec): Promise<void> => {
      const crop = await makeCrop(photos.get(n)!, face, spec);
      const res = await postImage(`${svc.url}/v1/landmarks`, crop.jpeg);
      expect(res.status).toBe(200);
      const body = await res.json() as { faces: FaceLike[] };
      const error = nearestError(body.faces, crop.reference);
      if (error === undefined) missed.push(`sample${n} face ${index} ${spec.kind}`);
      record(now, spec.kind, error);
      record(before, spec.kind, nearestError(await previousDetector(crop.jpeg), crop.reference));
    };
    const photos = new Map<number, Awaited<ReturnType<typeof decodeRaw>>>();
    for (const n of SAMPLE_NUMBERS) {
      const bytes = readSample(n);
      photos.set(n, await decodeRaw(bytes));
      const ref = await referenceFaces(bytes);
      for (const [index, face] of ref.entries()) for (const spec of SELFIE_KINDS) await run(n, face, index, spec);
      if (n === 2) {
        // The middle face of sample2 (the girl looking down, hair over one eye).
        const middle = [...ref].sort((a, b) => Math.abs(a.box.x + a.box.width / 2 - 960) - Math.abs(b.box.x + b.box.width / 2 - 960))[0]!;
        await run(2, middle, -1, LOOKING_DOWN);
      }
      photos.delete(n);
    }
    const figures = (errors: (number | undefined)[]): string => {
      const found = errors.filter((e): e is number => e !== undefined).sort((a, b) => a - b);
      if (found.length === 0) return `0/${errors.length} found`;
      const mean = found.reduce((a, b) => a + b, 0) / found.length;
      return `${found.length}/${errors.length} found, error mean ${mean.toFixed(3)} median ${found[Math.floor(found.length / 2)]!.toFixed(3)} worst ${found.at(-1)!.toFixed(3)}`;
    };
    for (const [kind, errors] of now) console.log(`selfie ${kind.padEnd(12)} now: ${figures(errors)} | before: ${figures(before.get(kind)!)}`);
    const all = [...now.values()].flat();
    console.log(`selfie crops: now ${figures(all)} | before ${figures([...before.values()].flat())}; missed now: ${missed.join(', ') || 'none'}`);
    expect(all).toHaveLength(22 * SELFIE_KINDS.length + 1);
    // The issue asks for every crop (the detector alone finds 110 of 199). Weak large gate faces
    // (0.6–0.8) are rescued once confirmed on a crop around them: by the gate itself, turned upright
    // (GATE_RECHECK_ZOOM), or by SSD (VERIFY_CROPS in src/faces/cascade.ts). The last one found,
    // sample2's face 2 rolled −35°, is a face in full profile (one eye visible) that SSD never
    // confirms and the upright gate does (0.82; face-free tiles of the samples ≤ 0.76). The
    // reference's own 68 points are no face layout there; the service's land 0.6 eye distances from
    // theirs (error 0.76) since the roll recheck crops on the gate's box (ROLL_RECHECK_MIN_SPAN).
    expect(missed).toEqual([]);
    const found = all.filter((e): e is number => e !== undefined).sort((a, b) => a - b);
    // Median, not mean: a few faces the landmark net misreads (sample2's hard faces) dominate the mean.
    expect(found[Math.floor(found.length / 2)]!).toBeLessThanOrEqual(0.05);
  }, 1_500_000);
});
