import { describe, expect, it } from 'vitest';
import { seamlessClone } from './seamless.js';

describe('seamlessClone', () => {
  // When target − source is harmonic, the membrane is exactly that difference: the clone must
  // give back the target inside. With detail in the source and a bright/dark gradient plus a
  // saddle (x² − y²) in the difference, as different lighting would make.
  const w = 330; const h = 380;
  const inside = new Uint8Array(w * h);
  const source = new Float32Array(w * h * 3);
  const target = new Float32Array(w * h * 3);
  const covered = new Uint8Array(w * h).fill(1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if ((x - 165) ** 2 / 140 ** 2 + (y - 190) ** 2 / 165 ** 2 < 1) inside[p] = 1;
      for (let c = 0; c < 3; c++) {
        source[p * 3 + c] = 110 + 40 * Math.sin(x / 5 + c) * Math.cos(y / 7);
        target[p * 3 + c] = source[p * 3 + c]! + 25 + 0.1 * x - 0.05 * y * (c + 1) + ((x - 165) ** 2 - (y - 190) ** 2) / 2000;
      }
    }
  }

  it('gives back the target where the difference is harmonic (coarse solve + band)', () => {
    for (const factor of [2, 4]) {
      const out = new Float32Array(w * h * 3);
      seamlessClone({ width: w, height: h, inside, target, source, covered }, out, { factor });
      let worst = 0; let sum = 0; let n = 0;
      for (let p = 0; p < w * h; p++) {
        if (!inside[p]) { expect(out[p * 3]).toBe(0); continue; }
        for (let c = 0; c < 3; c++) {
          const e = Math.abs(out[p * 3 + c]! - Math.min(255, Math.max(0, target[p * 3 + c]!)));
          worst = Math.max(worst, e); sum += e; n++;
        }
      }
      expect(sum / n).toBeLessThan(0.3);
      expect(worst).toBeLessThan(1.5);
    }
  });

  it('keeps the source gradients: a step inside the source survives, shifted to the target level', () => {
    const flatTarget = new Float32Array(w * h * 3).fill(200);
    const stepSource = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) stepSource.fill(x < 165 ? 50 : 90, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const out = new Float32Array(w * h * 3);
    seamlessClone({ width: w, height: h, inside, target: flatTarget, source: stepSource, covered }, out);
    const at = (x: number, y: number): number => out[(y * w + x) * 3]!;
    // Across the step in the middle the jump of 40 remains (to within the membrane's own slope).
    expect(at(166, 190) - at(163, 190)).toBeGreaterThan(36);
    // Near the boundary the clone meets the target.
    expect(Math.abs(at(100, 47) - 200)).toBeLessThan(3);
  });
});

describe('seamlessClone with a coarse shift', () => {
  it('meets the target at the boundary but carries the shifted boundary inwards: dark boundary pixels shape only a narrow band', () => {
    const w = 200; const h = 200;
    const inside = new Uint8Array(w * h);
    const covered = new Uint8Array(w * h).fill(1);
    const source = new Float32Array(w * h * 3).fill(150);
    const target = new Float32Array(w * h * 3).fill(180);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = y * w + x;
        if ((x - 100) ** 2 + (y - 100) ** 2 < 80 ** 2) inside[p] = 1;
        else if (x < 60) target.fill(40, p * 3, p * 3 + 3); // dark hair on the left of the boundary
      }
    }
    // The smooth part sees skin (180) at the dark boundary pixels: their cells' sums shifted by 180 − 40 each.
    const k = 4;
    const cw = Math.ceil(w / k);
    const coarseShift = new Float32Array(cw * Math.ceil(h / k) * 3);
    for (let p = 0; p < w * h; p++) {
      if (inside[p] || target[p * 3]! >= 100) continue;
      const q = Math.floor(Math.floor(p / w) / k) * cw + Math.floor((p % w) / k);
      for (let c = 0; c < 3; c++) coarseShift[q * 3 + c]! += 180 - 40;
    }
    const plain = new Float32Array(w * h * 3);
    const guided = new Float32Array(w * h * 3);
    seamlessClone({ width: w, height: h, inside, target, source, covered }, plain, { factor: k });
    seamlessClone({ width: w, height: h, inside, target, source, covered, coarseShift }, guided, { factor: k });
    const at = (out: Float32Array, x: number, y: number): number => out[(y * w + x) * 3]!;
    // 15 px in from the dark part of the boundary: a haze without the shift, skin with it.
    expect(at(plain, 36, 100)).toBeLessThan(140);
    expect(at(guided, 36, 100)).toBeGreaterThan(170);
    // At the boundary itself both meet the target (no seam).
    expect(Math.abs(at(guided, 21, 100) - at(target, 20, 100))).toBeLessThan(45);
    expect(at(guided, 21, 100)).toBeLessThan(at(guided, 36, 100));
  });
});
