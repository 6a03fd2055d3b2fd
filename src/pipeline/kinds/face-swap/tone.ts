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
 * Weighted box blur (three passes ≈ Gaussian of σ ≈ radius), normalised by the blurred weight:
 * pixels outside the face do not pull its colours. `channels` interleaved values per pixel.
 */
export function maskedBlur(
  values: Float32Array, weight: Float32Array | Uint8Array, width: number, height: number, channels: number, radius: number, out: Float32Array,
): void {
  const count = width * height;
  const r = Math.max(1, Math.round(radius));
  const num = new Float32Array(count * channels);
  const den = new Float32Array(count);
  const line = new Float32Array(Math.max(width, height) * (channels + 1));
  try {
    for (let p = 0; p < count; p++) {
      const w = weight[p]! ? 1 : 0;
      den[p] = w;
      for (let c = 0; c < channels; c++) num[p * channels + c] = values[p * channels + c]! * w;
    }
    for (let pass = 0; pass < 3; pass++) {
      boxPass(num, den, width, height, channels, r, line, true);
      boxPass(num, den, width, height, channels, r, line, false);
    }
    for (let p = 0; p < count; p++) {
      const d = den[p]!;
      for (let c = 0; c < channels; c++) out[p * channels + c] = d > 1e-4 ? num[p * channels + c]! / d : 0;
    }
  } finally {
    num.fill(0);
    line.fill(0);
  }
}

/** One running-sum box pass along rows (`horizontal`) or columns, of num and den together. */
function boxPass(
  num: Float32Array, den: Float32Array, width: number, height: number, channels: number, r: number, line: Float32Array, horizontal: boolean,
): void {
  const n = horizontal ? width : height;
  const lines = horizontal ? height : width;
  const stride = horizontal ? 1 : width;
  const k = channels + 1;
  const size = 2 * r + 1;
  const sums = new Float64Array(k);
  for (let l = 0; l < lines; l++) {
    const start = horizontal ? l * width : l;
    for (let i = 0; i < n; i++) {
      const p = start + i * stride;
      for (let c = 0; c < channels; c++) line[i * k + c] = num[p * channels + c]!;
      line[i * k + channels] = den[p]!;
    }
    sums.fill(0);
    // Edges: the window is clamped (values beyond the ends count as zero weight).
    for (let i = 0; i <= Math.min(r, n - 1); i++) for (let c = 0; c < k; c++) sums[c]! += line[i * k + c]!;
    for (let i = 0; i < n; i++) {
      const p = start + i * stride;
      for (let c = 0; c < channels; c++) num[p * channels + c] = sums[c]! / size;
      den[p] = sums[channels]! / size;
      const add = i + r + 1; const drop = i - r;
      if (add < n) for (let c = 0; c < k; c++) sums[c]! += line[add * k + c]!;
      if (drop >= 0) for (let c = 0; c < k; c++) sums[c]! -= line[drop * k + c]!;
    }
  }
  sums.fill(0);
}

/**
 * Takes the face's slow chroma variation out of `face` (RGB), over `weight`, in full when its RMS
 * is CAST_FROM + CAST_RAMP grey levels or more, not at all below CAST_FROM. `radius`: the blur
 * scale in pixels (features are finer). Returns the share taken out (0–1).
 */
export function flattenCast(face: Float32Array, weight: Float32Array | Uint8Array, width: number, height: number, radius: number): number {
  const count = width * height;
  const smooth = new Float32Array(count * 3);
  try {
    maskedBlur(face, weight, width, height, 3, radius, smooth);
    // The face's mean chroma (each channel minus grey): kept, the Poisson boundary handles it.
    const mean = [0, 0, 0]; let n = 0;
    for (let p = 0; p < count; p++) {
      if (!weight[p]) continue;
      const grey = (smooth[p * 3]! + smooth[p * 3 + 1]! + smooth[p * 3 + 2]!) / 3;
      for (let c = 0; c < 3; c++) mean[c]! += smooth[p * 3 + c]! - grey;
      n++;
    }
    if (n === 0) return 0;
    for (let c = 0; c < 3; c++) mean[c]! /= n;
    let rms = 0;
    for (let p = 0; p < count; p++) {
      if (!weight[p]) continue;
      const grey = (smooth[p * 3]! + smooth[p * 3 + 1]! + smooth[p * 3 + 2]!) / 3;
      for (let c = 0; c < 3; c++) rms += (smooth[p * 3 + c]! - grey - mean[c]!) ** 2;
    }
    rms = Math.sqrt(rms / n / 3);
    const amount = Math.max(0, Math.min(1, (rms - CAST_FROM) / CAST_RAMP));
    if (amount === 0) return 0;
    for (let p = 0; p < count; p++) {
      if (!weight[p]) continue;
      const grey = (smooth[p * 3]! + smooth[p * 3 + 1]! + smooth[p * 3 + 2]!) / 3;
      for (let c = 0; c < 3; c++) face[p * 3 + c]! -= amount * (smooth[p * 3 + c]! - grey - mean[c]!);
    }
    return amount;
  } finally {
    smooth.fill(0);
  }
}
