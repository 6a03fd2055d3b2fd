import { describe, expect, it } from 'vitest';
import { solvePoisson } from './poisson.js';

/** A disc-with-a-bite mask (not convex, like a face hull cut by the warp) on a w × h grid. */
function blobMask(w: number, h: number): Uint8Array {
  const mask = new Uint8Array(w * h);
  const cx = w / 2; const cy = h / 2; const r = Math.min(w, h) * 0.42;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const inDisc = (x - cx) ** 2 + ((y - cy) * 1.1) ** 2 < r * r;
      const bite = (x - cx - r * 0.8) ** 2 + (y - cy) ** 2 < (r * 0.4) ** 2;
      if (inDisc && !bite) mask[y * w + x] = 1;
    }
  }
  return mask;
}

/** Fills `values` with f outside the mask and `guess` inside. */
function setUp(w: number, h: number, C: number, mask: Uint8Array, f: (x: number, y: number, c: number) => number, guess = 0): Float32Array {
  const values = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) values[(y * w + x) * C + c] = mask[y * w + x] ? guess : f(x, y, c);
  return values;
}

function maxError(w: number, h: number, C: number, mask: Uint8Array, values: Float32Array, f: (x: number, y: number, c: number) => number): number {
  let worst = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!mask[y * w + x]) continue;
    for (let c = 0; c < C; c++) worst = Math.max(worst, Math.abs(values[(y * w + x) * C + c]! - f(x, y, c)));
  }
  return worst;
}

describe('solvePoisson', () => {
  it('recovers a harmonic function from its boundary values (Laplace, three channels)', () => {
    // x² − y² and x·y have a discrete 5-point Laplacian of exactly 0, so they are the exact
    // discrete solutions for their own boundary values.
    const w = 301; const h = 257; const C = 3;
    const f = (x: number, y: number, c: number): number => [
      ((x - 150) ** 2 - (y - 128) ** 2) / 200, ((x - 100) * (y - 90)) / 150, 0.3 * x - 0.2 * y + 40,
    ][c]!;
    const mask = blobMask(w, h);
    const values = setUp(w, h, C, mask, f);
    const report = solvePoisson({ width: w, height: h, channels: C, mask, values }, { cycles: 30, tolerance: 1e-3 });
    expect(report.residual).toBeLessThan(1e-3);
    expect(report.cycles).toBeLessThan(20);
    expect(maxError(w, h, C, mask, values, f)).toBeLessThan(0.02);
  });

  it('solves a Poisson problem with a right-hand side (Δ(x² + y²) = 4), one channel', () => {
    const w = 180; const h = 220; const C = 1;
    const f = (x: number, y: number): number => ((x - 90) ** 2 + (y - 100) ** 2) / 50;
    const mask = blobMask(w, h);
    const rhs = new Float32Array(w * h).fill(4 / 50);
    const values = setUp(w, h, C, mask, f, 17);
    const report = solvePoisson({ width: w, height: h, channels: C, mask, values, rhs }, { cycles: 30, tolerance: 1e-4 });
    expect(report.residual).toBeLessThan(1e-4);
    expect(maxError(w, h, C, mask, values, f)).toBeLessThan(0.02);
  });

  it('converges within a handful of cycles to a quarter grey level (what the blend asks)', () => {
    const w = 360; const h = 420; const C = 3;
    const f = (x: number, y: number, c: number): number => 128 + 60 * Math.sin(x / 9 + c) + 40 * Math.cos(y / 17);
    const mask = blobMask(w, h);
    const values = setUp(w, h, C, mask, f);
    const report = solvePoisson({ width: w, height: h, channels: C, mask, values });
    expect(report.cycles).toBeLessThanOrEqual(8);
    expect(report.residual).toBeLessThan(0.25);
  });

  it('leaves fixed pixels alone and refuses a mask on the grid edge', () => {
    const w = 40; const h = 30;
    const mask = blobMask(w, h);
    const values = setUp(w, h, 1, mask, (x) => x);
    const before = values.slice();
    solvePoisson({ width: w, height: h, channels: 1, mask, values });
    for (let p = 0; p < w * h; p++) if (!mask[p]) expect(values[p]).toBe(before[p]);
    const edge = new Uint8Array(w * h); edge[5] = 1;
    expect(() => solvePoisson({ width: w, height: h, channels: 1, mask: edge, values })).toThrow(/edge/);
  });
});
