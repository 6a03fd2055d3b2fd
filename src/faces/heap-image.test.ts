import { createRequire } from 'node:module';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSample } from '../../test/samples.js';
import { cropImage, paddedImage } from './heap-image.js';

/**
 * The image tensors made and cut in the wasm heap hold exactly what tf's own ops give (tf.slice,
 * and the padded int32 copy face-model.ts made before), on a real photo, and never read the image
 * out of the heap (tfjs-wasm's slice did: a whole copy of the photo in a JS buffer, per face).
 */
const require = createRequire(import.meta.url);
type Tfjs = typeof import('@tensorflow/tfjs');
const tf = require('@tensorflow/tfjs') as Tfjs;
const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');

let photo: { pixels: Uint8Array; width: number; height: number };

beforeAll(async () => {
  wasm.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, ''));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  const { data, info } = await sharp(readSample(2)).resize(512, 512, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
  photo = { pixels: new Uint8Array(data), width: info.width, height: info.height };
});

afterEach(async () => {
  vi.restoreAllMocks();
  await tf.setBackend('wasm');
});

/** What face-model.ts did before: an owned int32 copy, padded with zeros at the bottom and right. */
function paddedCopy(pixels: Uint8Array, width: number, height: number, side: number): Int32Array {
  const ints = new Int32Array(side * side * 3);
  for (let y = 0; y < height; y++) for (let i = 0; i < width * 3; i++) ints[y * side * 3 + i] = pixels[y * width * 3 + i]!;
  return ints;
}

/** Boxes spread over the image, edges included (a fixed generator: the same boxes every run). */
function boxes(width: number, height: number, n: number): { x: number; y: number; width: number; height: number }[] {
  let s = 7;
  const next = (limit: number): number => (s = (s * 1103515245 + 12345) % 2147483648) % limit;
  const out = [{ x: 0, y: 0, width, height }, { x: width - 1, y: height - 1, width: 1, height: 1 }, { x: 0, y: 5, width: 9, height: height - 5 }];
  for (let i = 0; i < n; i++) {
    const x = next(width - 1);
    const y = next(height - 1);
    out.push({ x, y, width: 1 + next(width - x), height: 1 + next(height - y) });
  }
  return out;
}

describe('image tensors in the wasm heap', () => {
  it('pads the photo exactly as the owned int32 copy did, without reading the heap', () => {
    const side = Math.max(photo.width, photo.height);
    const readSync = vi.spyOn(tf.backend() as unknown as { readSync: () => unknown }, 'readSync');
    const image = paddedImage(tf, photo.pixels, photo.width, photo.height, side);
    expect(readSync).not.toHaveBeenCalled();
    expect(image.shape).toEqual([side, side, 3]);
    expect(image.dtype).toBe('int32');
    expect(photo.height).toBeLessThan(side); // so the padding is really checked
    expect(Buffer.from(image.dataSync() as Int32Array).equals(Buffer.from(paddedCopy(photo.pixels, photo.width, photo.height, side)))).toBe(true);
    image.dispose();
  });

  it('cuts int32 and float32, 3-D and batched, exactly as tf.slice, without reading the heap', () => {
    const side = Math.max(photo.width, photo.height);
    const image = paddedImage(tf, photo.pixels, photo.width, photo.height, side);
    const batch = tf.tidy(() => tf.expandDims(tf.div(tf.cast(image, 'float32'), 127.5), 0) as import('@tensorflow/tfjs').Tensor4D);
    for (const box of boxes(side, side, 60)) {
      const readSync = vi.spyOn(tf.backend() as unknown as { readSync: () => unknown }, 'readSync');
      const mine3 = cropImage(tf, image, box);
      const mine4 = cropImage(tf, batch, box);
      expect(readSync).not.toHaveBeenCalled();
      readSync.mockRestore();
      const theirs3 = tf.slice(image, [box.y, box.x, 0], [box.height, box.width, 3]);
      const theirs4 = tf.slice(batch, [0, box.y, box.x, 0], [1, box.height, box.width, 3]);
      expect([mine3.shape, mine3.dtype, mine4.shape, mine4.dtype]).toEqual([theirs3.shape, 'int32', theirs4.shape, 'float32']);
      expect(Buffer.from(mine3.dataSync() as Int32Array).equals(Buffer.from(theirs3.dataSync() as Int32Array))).toBe(true);
      expect(Buffer.from(mine4.dataSync() as Float32Array).equals(Buffer.from(theirs4.dataSync() as Float32Array))).toBe(true);
      tf.dispose([mine3, mine4, theirs3, theirs4]);
    }
    tf.dispose([image, batch]);
  });

  it('refuses a box that is not whole pixels inside the image', () => {
    const image = tf.zeros([8, 8, 3], 'int32') as import('@tensorflow/tfjs').Tensor3D;
    for (const box of [{ x: -1, y: 0, width: 2, height: 2 }, { x: 0, y: 0, width: 9, height: 1 }, { x: 0.5, y: 0, width: 2, height: 2 }, { x: 0, y: 0, width: 0, height: 2 }]) {
      expect(() => cropImage(tf, image, box)).toThrow(RangeError);
    }
    expect(() => paddedImage(tf, new Uint8Array(10 * 4 * 3), 10, 4, 8)).toThrow(RangeError);
    image.dispose();
  });

  it('gives the same tensors through tf\'s own ops on a backend without heap views (cpu, as tfjs-node)', async () => {
    await tf.setBackend('cpu');
    const side = Math.max(photo.width, photo.height);
    const image = paddedImage(tf, photo.pixels, photo.width, photo.height, side);
    expect(Buffer.from(image.dataSync() as Int32Array).equals(Buffer.from(paddedCopy(photo.pixels, photo.width, photo.height, side)))).toBe(true);
    const box = { x: 100, y: 40, width: 150, height: 200 };
    const crop = cropImage(tf, image, box);
    const slice = tf.slice(image, [40, 100, 0], [200, 150, 3]);
    expect(Buffer.from(crop.dataSync() as Int32Array).equals(Buffer.from(slice.dataSync() as Int32Array))).toBe(true);
    tf.dispose([image, crop, slice]);
  });
});
