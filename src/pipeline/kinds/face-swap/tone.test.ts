import { describe, expect, it } from 'vitest';
import { flattenCast } from './tone.js';

const W = 120; const H = 100;

/** A face-sized patch: shading from top to bottom, fine detail (stripes), and a colour light that runs from blue (left) to orange (right) by `cast` grey levels. */
function face(cast: number): { pixels: Float32Array; weight: Uint8Array } {
  const pixels = new Float32Array(W * H * 3);
  const weight = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      weight[p] = 1;
      const grey = 140 + 40 * (y / H) + (x % 6 < 3 ? 12 : -12);
      const t = (x / (W - 1)) * 2 - 1; // −1 left … 1 right
      pixels[p * 3] = grey + cast * t; pixels[p * 3 + 1] = grey; pixels[p * 3 + 2] = grey - cast * t;
    }
  }
  return { pixels, weight };
}

/** Mean red − blue over a column band: the cast at that side. */
function redMinusBlue(pixels: Float32Array, x0: number, x1: number): number {
  let s = 0; let n = 0;
  for (let y = 0; y < H; y++) for (let x = x0; x < x1; x++) { const p = y * W + x; s += pixels[p * 3]! - pixels[p * 3 + 2]!; n++; }
  return s / n;
}

describe('flattenCast', () => {
  it('takes a strong left-to-right colour cast out and keeps the shading and the detail', () => {
    const { pixels, weight } = face(60);
    const before = redMinusBlue(pixels, 70, 100) - redMinusBlue(pixels, 20, 50);
    const detail = pixels[(50 * W + 60) * 3 + 1]! - pixels[(50 * W + 63) * 3 + 1]!;
    const shading = pixels[(90 * W + 60) * 3 + 1]! - pixels[(10 * W + 60) * 3 + 1]!;
    expect(flattenCast(pixels, weight, W, H, 12)).toBe(1);
    const after = redMinusBlue(pixels, 70, 100) - redMinusBlue(pixels, 20, 50);
    expect(Math.abs(after)).toBeLessThan(0.25 * before);
    // Green is grey plus nothing: only the chroma moved, by the same amount in every channel pair.
    expect(pixels[(50 * W + 60) * 3 + 1]! - pixels[(50 * W + 63) * 3 + 1]!).toBeCloseTo(detail, 0);
    expect(pixels[(90 * W + 60) * 3 + 1]! - pixels[(10 * W + 60) * 3 + 1]!).toBeCloseTo(shading, 0);
  });

  it('leaves ordinary light alone (a weak cast is part of the person’s photo)', () => {
    const { pixels, weight } = face(8);
    const copy = pixels.slice();
    expect(flattenCast(pixels, weight, W, H, 12)).toBe(0);
    expect(pixels).toEqual(copy);
  });
});
