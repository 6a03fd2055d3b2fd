import { createRequire } from 'node:module';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSample, SAMPLE_NUMBERS } from '../../test/samples.js';
import { FACE_API_MODEL_DIR } from '../main.js';
import { anchorsForSize, installLeanSsd, type SsdNet, type SsdNetInput, type SsdParams } from './ssd-lean.js';

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
const inputs = new Map<number, SsdNetInput>();

beforeAll(async () => {
  wasm.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, ''));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  const net = faceapi.nets.ssdMobilenetv1 as unknown as SsdNet;
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
  original = net.forwardInput.bind(net);
  installLeanSsd(net, tf);
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

  it('disposes what it made when a layer fails', () => {
    const before = tf.memory().numTensors;
    // Two channels instead of three: the first convolution throws after the input is normalised.
    const wrong: SsdNetInput = { toBatchTensor: () => tf.zeros([1, 512, 512, 2]) as import('@tensorflow/tfjs').Tensor4D };
    expect(() => lean(wrong)).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
