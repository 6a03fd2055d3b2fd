/**
 * A correction to the user's warped face before it is blended (region-sized RGB floats; `weight`
 * is where the face is defined). A coloured light (blue from one side, orange from the other) is
 * a slow change of chroma across the face, and the Poisson blend keeps it (it is in the
 * gradients). Each channel's smooth deviation from the smooth grey level, beyond its mean over the
 * face, is taken out: shading stays, the cast goes, and the portrait's colour comes in at the
 * boundary. Only a strong cast is corrected: the recognition net compares the result with the
 * user's own photo, cast included, and measured every corrected face a little further from it
 * (mean d(user) +0.006 when every face was corrected), so ordinary light is left alone.
 */

/** RMS chroma variation (grey levels) from which a cast is taken out, and over how many more it reaches full correction. */
const CAST_FROM = 12;
const CAST_RAMP = 6;

/**
 * Weighted box blur of RGB `values` (three passes ≈ Gaussian of σ ≈ radius), normalised by the
 * blurred weight: pixels outside the face do not pull its colours.
 */
export function maskedBlur(
  values: Float32Array, weight: Float32Array | Uint8Array, width: number, height: number, radius: number, out: Float32Array,
): void {
  const count = width * height;
  const r = Math.max(1, Math.round(radius));
  const num = new Float32Array(count * 3);
  const den = new Float32Array(count);
  const line = new Float32Array(Math.max(width, height) * 4);
  try {
    for (let p = 0; p < count; p++) {
      const w = weight[p]! ? 1 : 0;
      den[p] = w;
      num[p * 3] = values[p * 3]! * w; num[p * 3 + 1] = values[p * 3 + 1]! * w; num[p * 3 + 2] = values[p * 3 + 2]! * w;
    }
    for (let pass = 0; pass < 3; pass++) {
      boxPass(num, den, width, height, r, line, true);
      boxPass(num, den, width, height, r, line, false);
    }
    for (let p = 0; p < count; p++) {
      const d = den[p]!;
      for (let c = 0; c < 3; c++) out[p * 3 + c] = d > 1e-4 ? num[p * 3 + c]! / d : 0;
    }
  } finally {
    // den is only the face mask blurred, but its outline is the user's face: wiped like the colours.
    num.fill(0);
    den.fill(0);
    line.fill(0);
  }
}

/** One running-sum box pass along rows (`horizontal`) or columns, of num (RGB) and den together. */
function boxPass(
  num: Float32Array, den: Float32Array, width: number, height: number, r: number, line: Float32Array, horizontal: boolean,
): void {
  const n = horizontal ? width : height;
  const lines = horizontal ? height : width;
  const stride = horizontal ? 1 : width;
  const size = 2 * r + 1;
  for (let l = 0; l < lines; l++) {
    const start = horizontal ? l * width : l;
    for (let i = 0, p = start; i < n; i++, p += stride) {
      line[i * 4] = num[p * 3]!; line[i * 4 + 1] = num[p * 3 + 1]!; line[i * 4 + 2] = num[p * 3 + 2]!; line[i * 4 + 3] = den[p]!;
    }
    // Edges: the window is clamped (values beyond the ends count as zero weight).
    let s0 = 0; let s1 = 0; let s2 = 0; let s3 = 0;
    for (let i = 0; i <= Math.min(r, n - 1); i++) { s0 += line[i * 4]!; s1 += line[i * 4 + 1]!; s2 += line[i * 4 + 2]!; s3 += line[i * 4 + 3]!; }
    for (let i = 0, p = start; i < n; i++, p += stride) {
      num[p * 3] = s0 / size; num[p * 3 + 1] = s1 / size; num[p * 3 + 2] = s2 / size; den[p] = s3 / size;
      const add = (i + r + 1) * 4; const drop = (i - r) * 4;
      if (i + r + 1 < n) { s0 += line[add]!; s1 += line[add + 1]!; s2 += line[add + 2]!; s3 += line[add + 3]!; }
      if (drop >= 0) { s0 -= line[drop]!; s1 -= line[drop + 1]!; s2 -= line[drop + 2]!; s3 -= line[drop + 3]!; }
    }
  }
}

/**
 * Takes the face's slow chroma variation out of `face` (RGB), over `weight`, in full when its RMS
 * is CAST_FROM + CAST_RAMP grey levels or more, not at all below CAST_FROM. `radius`: the blur
 * scale in pixels (features are finer). Returns the share taken out (0–1).
 *
 * The slow field is measured on a grid a quarter of the blur radius apart (cells averaged over the
 * face's pixels) and interpolated back: the same field at a small fraction of the cost.
 */
export function flattenCast(face: Float32Array, weight: Float32Array | Uint8Array, width: number, height: number, radius: number): number {
  const step = Math.max(1, Math.floor(radius / 4));
  const cw = Math.ceil(width / step); const chh = Math.ceil(height / step);
  const cells = cw * chh;
  const small = new Float32Array(cells * 3);
  const smooth = new Float32Array(cells * 3);
  const filled = new Float32Array(cells);
  try {
    const colOf = new Int32Array(width);
    for (let x = 0; x < width; x++) colOf[x] = (x / step) | 0;
    for (let y = 0; y < height; y++) {
      const row = ((y / step) | 0) * cw;
      for (let x = 0, p = y * width; x < width; x++, p++) {
        if (!weight[p]) continue;
        const q = row + colOf[x]!;
        filled[q]! += 1;
        small[q * 3]! += face[p * 3]!; small[q * 3 + 1]! += face[p * 3 + 1]!; small[q * 3 + 2]! += face[p * 3 + 2]!;
      }
    }
    for (let q = 0; q < cells; q++) {
      const n = filled[q]!;
      if (n > 0) for (let c = 0; c < 3; c++) small[q * 3 + c]! /= n;
    }
    maskedBlur(small, filled, cw, chh, radius / step, smooth);
    // The face's mean chroma (each channel minus grey) is kept: the Poisson boundary handles it.
    // Mean and RMS of the rest, over the face's pixels (cells weighted by how many they hold).
    const mean = [0, 0, 0]; let total = 0;
    for (let q = 0; q < cells; q++) {
      const n = filled[q]!;
      if (!n) continue;
      const grey = (smooth[q * 3]! + smooth[q * 3 + 1]! + smooth[q * 3 + 2]!) / 3;
      for (let c = 0; c < 3; c++) mean[c]! += n * (smooth[q * 3 + c]! - grey);
      total += n;
    }
    if (total === 0) return 0;
    for (let c = 0; c < 3; c++) mean[c]! /= total;
    let rms = 0;
    for (let q = 0; q < cells; q++) {
      const n = filled[q]!;
      if (!n) continue;
      const grey = (smooth[q * 3]! + smooth[q * 3 + 1]! + smooth[q * 3 + 2]!) / 3;
      for (let c = 0; c < 3; c++) rms += n * (smooth[q * 3 + c]! - grey - mean[c]!) ** 2;
    }
    rms = Math.sqrt(rms / total / 3);
    const amount = Math.max(0, Math.min(1, (rms - CAST_FROM) / CAST_RAMP));
    if (amount === 0) return 0;
    // The correction per cell, then bilinear between cell centres at every face pixel.
    for (let q = 0; q < cells; q++) {
      const grey = (smooth[q * 3]! + smooth[q * 3 + 1]! + smooth[q * 3 + 2]!) / 3;
      for (let c = 0; c < 3; c++) small[q * 3 + c] = amount * (smooth[q * 3 + c]! - grey - mean[c]!);
    }
    for (let y = 0; y < height; y++) {
      const fy = (y + 0.5) / step - 0.5;
      const Y0 = Math.max(0, Math.min(chh - 1, Math.floor(fy))); const Y1 = Math.min(chh - 1, Y0 + 1);
      const ty = Math.max(0, Math.min(1, fy - Y0));
      for (let x = 0, p = y * width; x < width; x++, p++) {
        if (!weight[p]) continue;
        const fx = (x + 0.5) / step - 0.5;
        const X0 = Math.max(0, Math.min(cw - 1, Math.floor(fx))); const X1 = Math.min(cw - 1, X0 + 1);
        const tx = Math.max(0, Math.min(1, fx - X0));
        const a = (Y0 * cw + X0) * 3; const b = (Y0 * cw + X1) * 3; const d0 = (Y1 * cw + X0) * 3; const d1 = (Y1 * cw + X1) * 3;
        for (let c = 0; c < 3; c++) {
          const top = small[a + c]! + (small[b + c]! - small[a + c]!) * tx;
          const bottom = small[d0 + c]! + (small[d1 + c]! - small[d0 + c]!) * tx;
          face[p * 3 + c]! -= top + (bottom - top) * ty;
        }
      }
    }
    return amount;
  } finally {
    small.fill(0);
    smooth.fill(0);
    filled.fill(0);
  }
}
