/**
 * CIE Lab (D65) conversion and mean/spread colour transfer (Reinhard et al. 2001, in Lab rather
 * than lαβ). Works on Float32Array triples so a region is converted once.
 */
const LINEAR = new Float32Array(256).map((_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});
const XN = 0.95047; const ZN = 1.08883;
/** Lab's f(t) on [0, 1.1], tabulated and interpolated (the cube root per channel is the other slow part). */
const F_STEPS = 8192;
const F_MAX = 1.1;
const fExact = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
const F = new Float32Array(F_STEPS + 2).map((_, i) => fExact((i / F_STEPS) * F_MAX));
const f = (t: number): number => {
  if (t >= F_MAX || t < 0.008856) return fExact(t);
  const x = (t / F_MAX) * F_STEPS;
  const i = Math.floor(x);
  return F[i]! + (F[i + 1]! - F[i]!) * (x - i);
};
const fInv = (t: number): number => (t > 0.206893 ? t * t * t : (t - 16 / 116) / 7.787);
/** Linear light → sRGB 0–255, tabulated (4096 steps, interpolated): pow() per pixel is the slow part. */
const ENCODE_STEPS = 4096;
const ENCODE = new Float32Array(ENCODE_STEPS + 2).map((_, i) => {
  const c = Math.min(1, i / ENCODE_STEPS);
  return (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055) * 255;
});
const encode = (c: number): number => {
  if (c >= 1) return 255;
  const t = c * ENCODE_STEPS;
  const i = Math.floor(t);
  return ENCODE[i]! + (ENCODE[i + 1]! - ENCODE[i]!) * (t - i);
};

function linear(v: number): number {
  const i = Math.min(255, Math.max(0, v));
  const lo = Math.floor(i);
  if (lo === i) return LINEAR[lo]!;
  return LINEAR[lo]! + (LINEAR[lo + 1]! - LINEAR[lo]!) * (i - lo);
}

/**
 * RGB (0–255, any number type) → Lab, `count` pixels, from `rgb` at stride 3 into `lab`.
 * With `only`, pixels whose weight is below 0.002 are skipped (left as they were in `lab`).
 * Float32Array only, so that the per-pixel element access stays monomorphic (it is the hot loop).
 */
export function rgbToLab(rgb: Float32Array, lab: Float32Array, count: number, only?: Float32Array): void {
  for (let p = 0; p < count; p++) {
    if (only && only[p]! < 0.002) continue;
    const i = p * 3;
    const r = linear(rgb[i]!); const g = linear(rgb[i + 1]!); const b = linear(rgb[i + 2]!);
    const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / XN);
    const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
    const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / ZN);
    lab[i] = 116 * y - 16;
    lab[i + 1] = 500 * (x - y);
    lab[i + 2] = 200 * (y - z);
  }
}

export function labToRgb(lab: Float32Array, rgb: Float32Array, count: number, only?: Float32Array): void {
  for (let p = 0; p < count; p++) {
    if (only && only[p]! < 0.002) continue;
    const i = p * 3;
    const fy = (lab[i]! + 16) / 116;
    const x = fInv(fy + lab[i + 1]! / 500) * XN;
    const y = fInv(fy);
    const z = fInv(fy - lab[i + 2]! / 200) * ZN;
    rgb[i] = encode(Math.max(0, 3.2406 * x - 1.5372 * y - 0.4986 * z));
    rgb[i + 1] = encode(Math.max(0, -0.9689 * x + 1.8758 * y + 0.0415 * z));
    rgb[i + 2] = encode(Math.max(0, 0.0557 * x - 0.204 * y + 1.057 * z));
  }
}

export interface LabStats {
  readonly mean: [number, number, number];
  readonly std: [number, number, number];
}

/** Weighted mean and standard deviation per Lab channel (pixels with weight ≤ 0.5 are ignored). */
export function labStats(lab: Float32Array, weight: Float32Array): LabStats {
  const sum = [0, 0, 0]; const sq = [0, 0, 0];
  let n = 0;
  for (let p = 0; p < weight.length; p++) {
    if (weight[p]! <= 0.5) continue;
    n++;
    for (let c = 0; c < 3; c++) { const v = lab[p * 3 + c]!; sum[c]! += v; sq[c]! += v * v; }
  }
  const mean = [0, 1, 2].map((c) => (n ? sum[c]! / n : 0)) as [number, number, number];
  const std = [0, 1, 2].map((c) => (n ? Math.sqrt(Math.max(0, sq[c]! / n - mean[c]! ** 2)) : 0)) as [number, number, number];
  return { mean, std };
}

/**
 * Moves `lab` (in place) from statistics `from` to `to`: per channel, centre, rescale the
 * spread (ratio clamped to [0.5, 2] so a flat face is not blown up), re-centre. `amount` 0–1
 * blends between no change and the full transfer. With `only`, pixels whose weight is below 0.002
 * are left as they were (as in rgbToLab / labToRgb).
 */
export function transferLab(
  lab: Float32Array, count: number, from: LabStats, to: LabStats, amount = 1, only?: Float32Array,
): void {
  const ratio = [0, 1, 2].map((c) => Math.min(2, Math.max(0.5, from.std[c]! > 1e-3 ? to.std[c]! / from.std[c]! : 1)));
  for (let p = 0; p < count; p++) {
    if (only && only[p]! < 0.002) continue;
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      const v = lab[i]!;
      const moved = (v - from.mean[c]!) * ratio[c]! + to.mean[c]!;
      lab[i] = v + (moved - v) * amount;
    }
  }
}
