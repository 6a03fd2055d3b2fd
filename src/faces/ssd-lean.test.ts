import { createRequire } from 'node:module';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSample, SAMPLE_NUMBERS } from '../../test/samples.js';
import { FACE_API_MODEL_DIR } from '../main.js';
import { anchorsForSize, installLeanSsd, ssdRegion, type LeanSsd, type SsdNet, type SsdNetInput, type SsdParams } from './ssd-lean.js';

/**
 * The lean SSD pass against face-api's own, on the real wasm backend and the sample photos: the
 * same boxes and scores (to the last bits the fused kernels round differently), with far fewer
 * tensor bytes alive at the peak, and no tensor left behind — also when the pass fails half-way.
 */
const require = createRequire(import.meta.url);
type Tfjs = typeof import('@tensorflow/tfjs');
const tf = require('@tensorflow/tfjs') as Tfjs;
const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');

let original: SsdNet['forwardInput'];
let lean: SsdNet['forwardInput'];
let leanSsd: LeanSsd;
const inputs = new Map<number, SsdNetInput>();

beforeAll(async () => {
  wasm.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, ''));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  const net = faceapi.nets.ssdMobilenetv1 as unknown as SsdNet;
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
  original = net.forwardInput.bind(net);
  leanSsd = installLeanSsd(net, tf);
  lean = net.forwardInput;
  for (const n of SAMPLE_NUMBERS) {
    const { data, info } = await sharp(readSample(n)).rotate().resize(512, 512, { fit: 'inside' }).removeAlpha().raw()
      .toBuffer({ resolveWithObject: true });
    // face-api pads to a square before the 512 resize, as face-model.ts does for the service.
    const square = tf.tidy(() => tf.pad(tf.tensor4d(Int32Array.from(data), [1, info.height, info.width, 3], 'int32'),
      [[0, 0], [0, 512 - info.height], [0, 512 - info.width], [0, 0]]).cast('float32')) as import('@tensorflow/tfjs').Tensor4D;
    inputs.set(n, { toBatchTensor: () => square.clone() });
  }
});

async function run(forward: SsdNet['forwardInput'], input: SsdNetInput): Promise<{ boxes: Float32Array; scores: Float32Array }> {
  const { boxes, scores } = forward(input);
  const result = { boxes: await boxes[0]!.data() as Float32Array, scores: await scores[0]!.data() as Float32Array };
  for (const t of [...boxes, ...scores]) t.dispose();
  return result;
}

const stored = (): import('@tensorflow/tfjs').Tensor3D => ((faceapi.nets.ssdMobilenetv1 as unknown as SsdNet).params as SsdParams).output_layer.extra_dim;

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('installLeanSsd', () => {
  it.each(SAMPLE_NUMBERS)('sample%i: the boxes and scores of face-api\'s own pass, within 1e-5', async (n) => {
    const mine = await run(lean, inputs.get(n)!);
    const theirs = await run(original, inputs.get(n)!);
    expect(mine.scores.length).toBe(5118); // SSD's anchors at 512 px
    expect(Math.max(...mine.scores)).toBeGreaterThan(0.9); // real faces in every sample
    // Box corners are fractions of the 512 px input: 1e-5 is 0.005 px. Measured: ≤ 3.6e-6 and ≤ 1.8e-6.
    expect(maxDifference(mine.boxes, theirs.boxes)).toBeLessThan(1e-5);
    expect(maxDifference(mine.scores, theirs.scores)).toBeLessThan(1e-5);
  });

  it('keeps under half the tensor bytes alive at the peak, and leaves none behind', async () => {
    const input = inputs.get(1)!;
    await run(lean, input); // the first pass also makes the folded batch-norm weights, which stay
    const before = tf.memory().numTensors;
    const peak = async (forward: SsdNet['forwardInput']): Promise<number> => (await tf.profile(() => run(forward, input))).peakBytes;
    const [mine, theirs] = [await peak(lean), await peak(original)];
    expect(tf.memory().numTensors).toBe(before);
    expect(mine).toBeLessThan(theirs * 0.5);
  });

  it('regenerates the anchors: at 512 exactly the stored 5118, at 320 the 20/10/5/3/2/1 grids with sizes × 1.6', () => {
    const stored = ((faceapi.nets.ssdMobilenetv1 as unknown as SsdNet).params as SsdParams).output_layer.extra_dim;
    const same = anchorsForSize(tf, stored, 512);
    expect(maxDifference(same.dataSync() as Float32Array, stored.dataSync() as Float32Array)).toBeLessThan(1e-6);
    const small = anchorsForSize(tf, stored, 320);
    expect(small.shape).toEqual([1, 20 * 20 * 3 + (10 * 10 + 5 * 5 + 3 * 3 + 2 * 2 + 1) * 6, 4]);
    const s = small.dataSync();
    const t = stored.dataSync();
    expect(s[2]! - s[0]!).toBeCloseTo((t[2]! - t[0]!) * 1.6, 5); // first anchor's height
    expect((s[1]! + s[3]!) / 2).toBeCloseTo(0.5 / 20, 5); // first cell's centre
    tf.dispose([same, small]);
  });

  it('regenerates the anchors for a rectangle: the square\'s own cells on the 16 and 32 px maps, the coarse maps spread over it', () => {
    const stored = ((faceapi.nets.ssdMobilenetv1 as unknown as SsdNet).params as SsdParams).output_layer.extra_dim;
    expect(ssdRegion(512, 341 / 512, 1)).toEqual({ rows: 352, cols: 512 });
    expect(ssdRegion(512, 1, 384 / 512)).toEqual({ rows: 512, cols: 384 });
    const wide = anchorsForSize(tf, stored, 512, 352, 512);
    // 22 × 32, 11 × 16, 6 × 8, 3 × 4, 2 × 2, 1 × 1 cells.
    expect(wide.shape).toEqual([1, 22 * 32 * 3 + (11 * 16 + 6 * 8 + 3 * 4 + 2 * 2 + 1) * 6, 4]);
    const w = wide.dataSync();
    const t = stored.dataSync();
    const layer1 = 32 * 32 * 3;
    expect(maxDifference(w.slice(0, 22 * 32 * 3 * 4) as Float32Array, t.slice(0, 22 * 32 * 3 * 4) as Float32Array)).toBeLessThan(1e-6);
    expect(maxDifference(w.slice(22 * 32 * 3 * 4, (22 * 32 * 3 + 11 * 16 * 6) * 4) as Float32Array,
      t.slice(layer1 * 4, (layer1 + 11 * 16 * 6) * 4) as Float32Array)).toBeLessThan(1e-6);
    const coarse = (22 * 32 * 3 + 11 * 16 * 6) * 4; // first anchor of the 6 × 8 map: centred on the rectangle's first cell
    expect((w[coarse]! + w[coarse + 2]!) / 2).toBeCloseTo((0.5 / 6) * (352 / 512), 6);
    expect((w[coarse + 1]! + w[coarse + 3]!) / 2).toBeCloseTo(0.5 / 8, 6);
    wide.dispose();
  });

  it.each(SAMPLE_NUMBERS)('sample%i: on the photo\'s rectangle, the faces of the square pass (fewer anchors, same boxes)', async (n) => {
    const { data, info } = await sharp(readSample(n)).rotate().resize(512, 512, { fit: 'inside' }).removeAlpha().raw()
      .toBuffer({ resolveWithObject: true });
    const image = tf.tidy(() => tf.pad(tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32'),
      [[0, 512 - info.height], [0, 512 - info.width], [0, 0]])) as import('@tensorflow/tfjs').Tensor3D;
    const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 20 });
    try {
      const square = await faceapi.detectAllFaces(image, options);
      leanSsd.setExtent(info.height / 512, info.width / 512);
      const rect = await faceapi.detectAllFaces(image, options);
      const { rows, cols } = ssdRegion(512, info.height / 512, info.width / 512);
      const anchors = anchorsForSize(tf, stored(), 512, rows, cols);
      anchors.dispose();
      expect((await run(lean, inputs.get(n)!)).scores.length).toBe(anchors.shape[1]);
      expect(rows).toBeLessThan(512); // all six are landscape: SSD really ran on a rectangle
      expect(square.length).toBeGreaterThanOrEqual(3);
      expect(rect).toHaveLength(square.length);
      // Measured on the six samples: identical to the last bit. Cells within ~7 rows of the
      // rectangle's edge see zero padding where the square pass saw ReLU6(bias) of zeros, so
      // faces there may move a little; none of the samples' faces is there.
      rect.forEach((r, i) => {
        const q = square[i]!;
        for (const k of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(r.box[k] - q.box[k])).toBeLessThan(0.01);
        expect(Math.abs(r.score - q.score)).toBeLessThan(1e-5);
      });
    } finally {
      leanSsd.setExtent(1, 1);
      image.dispose();
    }
  });

  it('disposes what it made when a layer fails', () => {
    const before = tf.memory().numTensors;
    // Two channels instead of three: the first convolution throws after the input is normalised.
    const wrong: SsdNetInput = { toBatchTensor: () => tf.zeros([1, 512, 512, 2]) as import('@tensorflow/tfjs').Tensor4D };
    expect(() => lean(wrong)).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
