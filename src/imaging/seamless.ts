import { solvePoisson } from './poisson.js';

/**
 * Seamless cloning (gradient-domain blending, as OpenCV's seamlessClone with NORMAL_CLONE): inside
 * `inside`, the result keeps the gradients of `source` while meeting `target` on the boundary.
 *
 * Solved as source + h, where h is the membrane (harmonic) interpolation of target − source from
 * the boundary inwards: the same solution as the Poisson equation with the source's Laplacian as
 * guidance, but h is smooth, so it is solved on a grid `factor` times coarser and interpolated
 * back up. Only a band along the boundary, where h carries detail finer than the coarse grid,
 * is relaxed again at full resolution. All arrays cover one region, row-major, RGB.
 */
export interface CloneInput {
  readonly width: number;
  readonly height: number;
  /** Raster to replace: 1 inside. Must be 0 within `factor` + 1 pixels of the region's edge. */
  readonly inside: Uint8Array;
  /** The portrait (RGB, 0–255). */
  readonly target: Float32Array | Uint8Array;
  /** The face to clone in (RGB); must be defined wherever `inside` is and on a ring of `factor` pixels around it. */
  readonly source: Float32Array;
  /** Where `source` is defined. */
  readonly covered: Float32Array | Uint8Array;
  /**
   * Added to each coarse cell's sum of target − source (cells of `factor` pixels, row-major, RGB):
   * a boundary the smooth (coarse) part of the solution sees instead of `target` where they differ
   * (its pixels' target − source replaced by other values). The full-resolution band still meets
   * `target` exactly, so the result has no seam, but what it carries inwards is this: a boundary
   * pixel that is not the kind of surface the face is (hair) can then shape only a narrow band.
   */
  readonly coarseShift?: Float32Array;
}

export interface CloneOptions {
  /** Coarse grid spacing in pixels. */
  readonly factor?: number;
  /** Full-resolution Gauss–Seidel sweeps over the boundary band. */
  readonly bandSweeps?: number;
}

/** Writes the cloned colours into `out` (RGB, region-sized) at the `inside` pixels; other pixels are left alone. */
export function seamlessClone(input: CloneInput, out: Float32Array, options: CloneOptions = {}): void {
  const { width: w, height: h } = input;
  const k = Math.max(1, Math.round(options.factor ?? 4));
  const sweeps = options.bandSweeps ?? 12;
  const cw = Math.ceil(w / k); const chh = Math.ceil(h / k);
  // Difference target − source: averaged per coarse cell (over covered pixels) for the coarse
  // problem; kept per pixel at the fixed pixels next to `inside` for the band.
  const coarseValues = new Float32Array(cw * chh * 3);
  const coarseCount = new Float32Array(cw * chh);
  const coarseMask = new Uint8Array(cw * chh);
  const fine = new Float32Array(w * h * 3);
  const band = new Uint8Array(w * h);
  try {
    const colOf = new Int32Array(w);
    for (let x = 0; x < w; x++) colOf[x] = (x / k) | 0;
    // One pass counts, per coarse cell, its pixels inside (see below) and sums the differences.
    const insideCount = new Int32Array(cw * chh);
    accumulate(input, k, cw, colOf, insideCount, coarseCount, coarseValues);
    const shift = input.coarseShift;
    if (shift) for (let i = 0; i < coarseValues.length; i++) coarseValues[i]! += shift[i]!;
    for (let q = 0; q < cw * chh; q++) {
      const n = coarseCount[q]!;
      if (n > 0) for (let c = 0; c < 3; c++) coarseValues[q * 3 + c]! /= n;
    }
    // A coarse cell is unknown when all its pixels are inside (and it is not on the coarse edge).
    for (let Y = 1; Y < chh - 1; Y++) {
      const rows = Math.min(h, Y * k + k) - Y * k;
      for (let X = 1; X < cw - 1; X++) if (insideCount[Y * cw + X] === rows * (Math.min(w, X * k + k) - X * k)) coarseMask[Y * cw + X] = 1;
    }
    // Cells whose 3 × 3 neighbourhood is all unknown: their pixels need no full-resolution pass.
    const deep = new Uint8Array(cw * chh);
    for (let Y = 1; Y < chh - 1; Y++) {
      for (let X = 1; X < cw - 1; X++) {
        const q = Y * cw + X;
        deep[q] = coarseMask[q - cw - 1]! & coarseMask[q - cw]! & coarseMask[q - cw + 1]! & coarseMask[q - 1]! & coarseMask[q]!
          & coarseMask[q + 1]! & coarseMask[q + cw - 1]! & coarseMask[q + cw]! & coarseMask[q + cw + 1]!;
      }
    }
    for (let q = 0; q < cw * chh; q++) if (coarseMask[q]) coarseValues.fill(0, q * 3, q * 3 + 3);
    solvePoisson({ width: cw, height: chh, channels: 3, mask: coarseMask, values: coarseValues }, { cycles: 6, tolerance: 0.1 });

    // Interpolate h back up (bilinear between coarse cell centres); fixed fine pixels get their
    // exact difference. A pixel inside whose coarse cell or a neighbour of it is fixed joins the band.
    upsample(input, k, cw, chh, colOf, deep, coarseValues, fine, band);
    // The band: Laplace again at full resolution, between the exact boundary differences and the
    // interpolated h further in (both fixed). Plain sweeps: the band is a few pixels wide.
    solvePoisson({ width: w, height: h, channels: 3, mask: band, values: fine }, { cycles: 1, tolerance: 0, coarsestSweeps: sweeps, maxLevels: 1 });
    writeInside(input, fine, out);
  } finally {
    coarseValues.fill(0);
    fine.fill(0);
  }
}

/** Per coarse cell: pixels inside, and the sum and count of target − source over covered pixels. */
function accumulate(
  input: CloneInput, k: number, cw: number, colOf: Int32Array, insideCount: Int32Array, coarseCount: Float32Array, coarseValues: Float32Array,
): void {
  const { width: w, height: h, inside, target, source, covered } = input;
  for (let y = 0; y < h; y++) {
    const row = ((y / k) | 0) * cw;
    for (let x = 0, p = y * w; x < w; x++, p++) {
      if (inside[p]) insideCount[row + colOf[x]!]! += 1;
      if (!covered[p]) continue;
      const q = row + colOf[x]!;
      const i = p * 3;
      coarseCount[q]! += 1;
      coarseValues[q * 3]! += target[i]! - source[i]!;
      coarseValues[q * 3 + 1]! += target[i + 1]! - source[i + 1]!;
      coarseValues[q * 3 + 2]! += target[i + 2]! - source[i + 2]!;
    }
  }
}

/**
 * h interpolated back up (bilinear between coarse cell centres) inside; fixed fine pixels get
 * their exact difference. A pixel inside whose coarse cell or a neighbour of it is fixed joins the band.
 */
function upsample(
  input: CloneInput, k: number, cw: number, chh: number, colOf: Int32Array, deep: Uint8Array,
  coarseValues: Float32Array, fine: Float32Array, band: Uint8Array,
): void {
  const { width: w, height: h, inside, target, source, covered } = input;
  // Per column, the interpolation's cells and weight (the same for every row).
  const colX0 = new Int32Array(w); const colX1 = new Int32Array(w); const colT = new Float64Array(w);
  for (let x = 0; x < w; x++) {
    const fx = (x + 0.5) / k - 0.5;
    const X0 = Math.max(0, Math.min(cw - 1, Math.floor(fx)));
    colX0[x] = X0; colX1[x] = Math.min(cw - 1, X0 + 1); colT[x] = Math.max(0, Math.min(1, fx - X0));
  }
  for (let y = 0; y < h; y++) {
    const fy = (y + 0.5) / k - 0.5;
    const Y0 = Math.max(0, Math.min(chh - 1, Math.floor(fy))); const Y1 = Math.min(chh - 1, Y0 + 1);
    const ty = Math.max(0, Math.min(1, fy - Y0));
    const deepRow = ((y / k) | 0) * cw;
    const top0 = Y0 * cw; const bottom0 = Y1 * cw;
    for (let x = 0, p = y * w; x < w; x++, p++) {
      const i = p * 3;
      if (!inside[p]) {
        if (covered[p]) {
          fine[i] = target[i]! - source[i]!; fine[i + 1] = target[i + 1]! - source[i + 1]!; fine[i + 2] = target[i + 2]! - source[i + 2]!;
        }
        continue;
      }
      const tx = colT[x]!;
      const a = (top0 + colX0[x]!) * 3; const b = (top0 + colX1[x]!) * 3;
      const c0 = (bottom0 + colX0[x]!) * 3; const d = (bottom0 + colX1[x]!) * 3;
      const t0 = coarseValues[a]! + (coarseValues[b]! - coarseValues[a]!) * tx;
      const b0 = coarseValues[c0]! + (coarseValues[d]! - coarseValues[c0]!) * tx;
      const t1 = coarseValues[a + 1]! + (coarseValues[b + 1]! - coarseValues[a + 1]!) * tx;
      const b1 = coarseValues[c0 + 1]! + (coarseValues[d + 1]! - coarseValues[c0 + 1]!) * tx;
      const t2 = coarseValues[a + 2]! + (coarseValues[b + 2]! - coarseValues[a + 2]!) * tx;
      const b2 = coarseValues[c0 + 2]! + (coarseValues[d + 2]! - coarseValues[c0 + 2]!) * tx;
      fine[i] = t0 + (b0 - t0) * ty; fine[i + 1] = t1 + (b1 - t1) * ty; fine[i + 2] = t2 + (b2 - t2) * ty;
      if (!deep[deepRow + colOf[x]!]) band[p] = 1;
    }
  }
}

/** out = source + h at the pixels inside, clamped to 0–255. */
function writeInside(input: CloneInput, fine: Float32Array, out: Float32Array): void {
  const { width: w, height: h, inside, source } = input;
  for (let p = 0, i = 0; p < w * h; p++, i += 3) {
    if (!inside[p]) continue;
    const v0 = source[i]! + fine[i]!; const v1 = source[i + 1]! + fine[i + 1]!; const v2 = source[i + 2]! + fine[i + 2]!;
    out[i] = v0 < 0 ? 0 : v0 > 255 ? 255 : v0;
    out[i + 1] = v1 < 0 ? 0 : v1 > 255 ? 255 : v1;
    out[i + 2] = v2 < 0 ? 0 : v2 > 255 ? 255 : v2;
  }
}
