import { convexHull, inset, type Point } from '../../../imaging/geometry.js';
import { polygonMask, polygonPixels, type Region } from '../../../imaging/raster.js';
import { maskedBlur } from './tone.js';

/**
 * Hair at the face's edge, on either side of a face swap.
 *
 * The person's: hair falling over a temple or a cheek. The warp carries it into the swapped face,
 * and the gradient-domain blend lays its strands over the portrait's brighter skin as a
 * translucent ghost. `occluded` finds it by colour against the face's own skin (a robust model
 * from the cheeks and nose: darker than the skin and off its chroma), only outside the features
 * (dark lids, lashes and lips are not skin either, and are the person) and only where it reaches
 * the face's outline (hair comes from outside; a shadow under the lip does not). Those pixels
 * are left out of the blend: the portrait shows there.
 *
 * The portrait's: its hair, which the shape move can draw over the face's outline. Where the
 * blend's boundary crosses either, `fillBadBoundary` gives the smooth part of the blend skin to
 * meet instead (seamless.ts, `coarseShift`).
 *
 * Dark hair only: blond hair or a hand has the skin's darkness or its chroma and is kept. A
 * colour cast alone is not darker and does not count; a deep shadow reaching the outline (a
 * quarter darker or more) does, and the portrait then shows there.
 */

/** Skin sample: cheek centres as the mean of these points (jaw, nose wing, lower lid). */
const CHEEK_LEFT = [1, 3, 31, 41];
const CHEEK_RIGHT = [15, 13, 35, 46];
/** Points of the features, whose hull (grown by FEATURE_MARGIN × eye distance) is never dropped. */
const FEATURES = Array.from({ length: 51 }, (_, i) => 17 + i);
export const FEATURE_MARGIN = 0.05;
/** Not skin: darker than the skin's median by this many spreads (robust; at least MIN_LUMA_SPREAD grey levels each)… */
export const DARKER = 2;
export const MIN_LUMA_SPREAD = 12;
/** …and this far from its chroma (Cb, Cr, grey levels). */
export const CHROMA = 8;
const NOT_SKIN = 1;
/** An occluder reaches the face's outline (hair and hands come from outside): within this (× eye distance) of its hull. */
export const OUTLINE_BAND = 0.08;

/** A face's skin: median luma and chroma (Cb, Cr), and the luma's robust spread. */
export interface SkinModel { readonly y: number; readonly cb: number; readonly cr: number; readonly sy: number }

const lumaOf = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;

/** Histogram bins per grey level for the medians (values are colour channels, −256…256). */
const BINS_PER_LEVEL = 4;
const HISTOGRAM = new Uint32Array(512 * BINS_PER_LEVEL);

/** Median of the first `n` values, to a quarter grey level (a histogram: sorting typed arrays is slow in V8). */
function median(values: Float32Array, n: number): number {
  if (!n) return 0;
  HISTOGRAM.fill(0);
  for (let i = 0; i < n; i++) {
    const bin = Math.round((values[i]! + 256) * BINS_PER_LEVEL);
    HISTOGRAM[bin < 0 ? 0 : bin >= HISTOGRAM.length ? HISTOGRAM.length - 1 : bin]! += 1;
  }
  let seen = 0; let at = 0;
  for (let bin = 0; bin < HISTOGRAM.length; bin++) {
    seen += HISTOGRAM[bin]!;
    if (seen * 2 > n) { at = bin / BINS_PER_LEVEL - 256; break; }
  }
  HISTOGRAM.fill(0); // a histogram of the person's skin: not left behind
  return at;
}

/** The skin model over the `sample` pixels (indices) that are `covered`, every `stride`-th index; spread = 1.4826 × median absolute deviation. Null under 50 pixels. */
export function skinModel(face: Float32Array, sample: Int32Array, covered: Uint8Array, stride = 1): SkinModel | null {
  let n = 0;
  for (let i = 0; i < sample.length; i++) { const p = sample[i]!; if (p % stride === 0 && covered[p]) n++; }
  if (n < 50) return null;
  const ys = new Float32Array(n); const cbs = new Float32Array(n); const crs = new Float32Array(n);
  try {
    let k = 0;
    for (let i = 0; i < sample.length; i++) {
      const p = sample[i]!;
      if (p % stride !== 0 || !covered[p]) continue;
      const r = face[p * 3]!; const g = face[p * 3 + 1]!; const b = face[p * 3 + 2]!;
      const y = lumaOf(r, g, b);
      ys[k] = y; cbs[k] = 0.564 * (b - y); crs[k] = 0.713 * (r - y); k++;
    }
    const my = median(ys, n); const mcb = median(cbs, n); const mcr = median(crs, n);
    for (let i = 0; i < n; i++) ys[i] = Math.abs(ys[i]! - my);
    return { y: my, cb: mcb, cr: mcr, sy: 1.4826 * median(ys, n) };
  } finally {
    ys.fill(0); cbs.fill(0); crs.fill(0);
  }
}

/**
 * The skin sample: the pixels (indices into `region`, in order) of the cheeks and nose between
 * the eyes' inner corners and the mouth's corners. As a list: the polygon is a small part of the
 * region, and a region-sized mask cost more to make and to scan than the model itself.
 */
export function cheekSample(points: readonly Point[], region: Region): Int32Array {
  const mean = (ids: number[]): Point => [ids.reduce((a, i) => a + points[i]![0], 0) / ids.length, ids.reduce((a, i) => a + points[i]![1], 0) / ids.length];
  return polygonPixels(convexHull([mean(CHEEK_LEFT), points[39]!, points[42]!, mean(CHEEK_RIGHT), points[54]!, points[48]!]), region);
}

/**
 * How far an RGB colour is from the skin, as min(darker ÷ DARKER, chroma ÷ CHROMA): above 1
 * (NOT_SKIN) when both darker than the skin and off its chroma. A colour cast alone (the other
 * cheek in blue light) is not darker; a light shadow stays within both.
 */
function fromSkin(r: number, g: number, b: number, model: SkinModel): number {
  const y = lumaOf(r, g, b);
  // Absolute chroma: measured relative to luma, dark brown hair has the skin's (and went unfound on the samples).
  const dcb = 0.564 * (b - y) - model.cb; const dcr = 0.713 * (r - y) - model.cr;
  const dark = (model.y - y) / Math.max(MIN_LUMA_SPREAD, model.sy) / DARKER;
  const chroma = Math.sqrt(dcb * dcb + dcr * dcr) / CHROMA;
  return dark < chroma ? dark : chroma;
}

/** fromSkin per pixel of `face` (RGB), where `only` (if given) is set. */
export function skinDistance(face: Float32Array, model: SkinModel, count: number, out: Float32Array, only?: Uint8Array): void {
  for (let p = 0; p < count; p++) {
    if (only && !only[p]) continue;
    out[p] = fromSkin(face[p * 3]!, face[p * 3 + 1]!, face[p * 3 + 2]!, model);
  }
}

/**
 * 1 where the face in `face` (region-sized RGB, defined where `covered`) is covered by something
 * that is not its skin, outside the features; `points`: the face's landmarks (extended layout) in
 * image coordinates. Returns how many pixels.
 */
export function occluded(
  face: Float32Array, covered: Uint8Array, points: readonly Point[], region: Region, eyes: number, out: Uint8Array,
): number {
  out.fill(0);
  // Found on a grid HALF as fine (2 × 2 pixels averaged where defined): an occluder is wider
  // than a pixel or two, and this runs at a quarter of the cost.
  const w = Math.ceil(region.width / 2); const h = Math.ceil(region.height / 2);
  const count = w * h;
  const small = new Float32Array(count * 3);
  const defined = new Uint8Array(count);
  const dist = new Float32Array(count);
  let m: Float32Array | undefined;
  try {
    for (let y = 0; y < region.height; y++) {
      for (let x = 0, p = y * region.width; x < region.width; x++, p++) {
        if (!covered[p]) continue;
        const q = (y >> 1) * w + (x >> 1);
        defined[q]! += 1;
        small[q * 3]! += face[p * 3]!; small[q * 3 + 1]! += face[p * 3 + 1]!; small[q * 3 + 2]! += face[p * 3 + 2]!;
      }
    }
    for (let q = 0; q < count; q++) {
      const n = defined[q]!;
      if (n > 1) { small[q * 3]! /= n; small[q * 3 + 1]! /= n; small[q * 3 + 2]! /= n; }
      defined[q] = n ? 1 : 0;
    }
    const half: Region = { x: region.x / 2, y: region.y / 2, width: w, height: h };
    const at = points.map(([x, y]) => [x / 2, y / 2] as const);
    const model = skinModel(small, cheekSample(at, half), defined);
    if (!model) return 0;
    m = polygonMask(inset(convexHull(FEATURES.map((i) => at[i]!)), -FEATURE_MARGIN * eyes / 2), half);
    for (let q = 0; q < count; q++) m[q] = defined[q] && !m[q] ? 1 : 0;
    skinDistance(small, model, count, dist, defined);
    for (let q = 0; q < count; q++) m[q] = m[q] && dist[q]! > NOT_SKIN ? 1 : 0;
    keepReachingOutline(m, polygonMask(inset(convexHull(at), OUTLINE_BAND * eyes / 2), half), w, h);
    // Grown by one cell (two pixels) each way: a strand's soft edge goes with it.
    grow(m, w, h, dist);
    let n = 0;
    for (let y = 0; y < region.height; y++) {
      for (let x = 0, p = y * region.width; x < region.width; x++, p++) {
        if (covered[p] && m[(y >> 1) * w + (x >> 1)]) { out[p] = 1; n++; }
      }
    }
    return n;
  } finally {
    // m is where the person's hair is: zeroed with the face's colours.
    small.fill(0); defined.fill(0); dist.fill(0); m?.fill(0);
  }
}

/** `m` (0/1) dilated by one cell, 8-connected; `scratch` (at least w × h) is overwritten. */
function grow(m: Float32Array, w: number, h: number, scratch: Float32Array): void {
  scratch.set(m.subarray(0, w * h));
  for (let y = 0; y < h; y++) {
    const up = y > 0 ? -w : 0; const down = y < h - 1 ? w : 0;
    for (let x = 0, q = y * w; x < w; x++, q++) {
      if (m[q]) continue;
      const l = x > 0 ? -1 : 0; const r = x < w - 1 ? 1 : 0;
      if (scratch[q + l]! || scratch[q + r]! || scratch[q + up]! || scratch[q + down]! || scratch[q + up + l]! || scratch[q + up + r]!
        || scratch[q + down + l]! || scratch[q + down + r]!) m[q] = 1;
    }
  }
}

/** Keeps the 4-connected parts of `m` (1s) with a pixel outside `core` (the hull inset by the band). */
function keepReachingOutline(m: Float32Array, core: Float32Array, width: number, height: number): void {
  const count = width * height;
  const queue = new Int32Array(count);
  let head = 0; let tail = 0;
  // 2 = kept (reached); seeds: occluder pixels in the band.
  for (let p = 0; p < count; p++) if (m[p] === 1 && !core[p]) { m[p] = 2; queue[tail++] = p; }
  while (head < tail) {
    const p = queue[head++]!;
    const x = p % width;
    if (x > 0 && m[p - 1] === 1) { m[p - 1] = 2; queue[tail++] = p - 1; }
    if (x < width - 1 && m[p + 1] === 1) { m[p + 1] = 2; queue[tail++] = p + 1; }
    if (p >= width && m[p - width] === 1) { m[p - width] = 2; queue[tail++] = p - width; }
    if (p + width < count && m[p + width] === 1) { m[p + width] = 2; queue[tail++] = p + width; }
  }
  for (let p = 0; p < count; p++) m[p] = m[p] === 2 ? 1 : 0;
}

/** Radius (× eye distance) over which a boundary pixel's colour offset is taken from good neighbours. */
export const FILL_RADIUS = 0.25;

/**
 * The Poisson blend's boundary, made to run over skin on both sides. At a fixed pixel next to the
 * face where the person's face is covered (`occluded`) or the portrait is not skin (its hair, drawn
 * over the face's outline by the shape move), the offset portrait − face there is hair against
 * skin, and the blend would carry it inwards as a pale or dark haze. For the blend's smooth part
 * such a pixel's offset becomes that of nearby good boundary pixels (blurred over FILL_RADIUS eye
 * distances; their mean where none is near): written to `shift` as seamlessClone's coarseShift,
 * on its grid of `step` pixels. The portrait's own pixels stay in the picture there (they are
 * outside the blend), with the hard edge that hair has. Returns how many pixels were replaced.
 */
export function fillBadBoundary(
  shift: Float32Array, target: Float32Array, face: Float32Array, covered: Uint8Array, inside: Uint8Array, occluded: Uint8Array,
  points: readonly Point[], region: Region, eyes: number, step: number,
): number {
  const { width, height } = region;
  // Every third pixel is plenty for the portrait's skin model (a median over thousands).
  const model = skinModel(target, cheekSample(points, region), covered, 3);
  // Per cell of `step` pixels: the good boundary's offsets (summed, then averaged and blurred),
  // and the bad pixels' count and offsets (to take out of the blend's sums).
  const cw = Math.ceil(width / step); const chh = Math.ceil(height / step);
  const sums = new Float32Array(cw * chh * 3);
  const weight = new Float32Array(cw * chh);
  const badSums = new Float32Array(cw * chh * 3);
  const badCount = new Float32Array(cw * chh);
  const smooth = new Float32Array(cw * chh * 3);
  try {
    let bad = 0; let good = 0;
    const mean = [0, 0, 0];
    for (let y = 0; y < height; y++) {
      for (let x = 0, p = y * width; x < width; x++, p++) {
        if (!covered[p] || inside[p]) continue;
        const q = ((y / step) | 0) * cw + ((x / step) | 0);
        const r = target[p * 3]!; const g = target[p * 3 + 1]!; const b = target[p * 3 + 2]!;
        const notSkin = occluded[p] === 1 || (!!model && fromSkin(r, g, b, model) > NOT_SKIN);
        const d0 = r - face[p * 3]!; const d1 = g - face[p * 3 + 1]!; const d2 = b - face[p * 3 + 2]!;
        if (notSkin) {
          bad++; badCount[q]! += 1;
          badSums[q * 3]! += d0; badSums[q * 3 + 1]! += d1; badSums[q * 3 + 2]! += d2;
          continue;
        }
        good++; weight[q]! += 1;
        sums[q * 3]! += d0; sums[q * 3 + 1]! += d1; sums[q * 3 + 2]! += d2;
        mean[0]! += d0; mean[1]! += d1; mean[2]! += d2;
      }
    }
    if (bad === 0 || good === 0) return 0;
    for (let c = 0; c < 3; c++) mean[c]! /= good;
    for (let q = 0; q < cw * chh; q++) if (weight[q]) for (let c = 0; c < 3; c++) sums[q * 3 + c]! /= weight[q]!;
    maskedBlur(sums, weight, cw, chh, (FILL_RADIUS * eyes) / step, smooth);
    for (let q = 0; q < cw * chh; q++) {
      const n = badCount[q]!;
      if (!n) continue;
      // Far from any good pixel the blur is 0 in every channel: the mean offset instead.
      const far = smooth[q * 3] === 0 && smooth[q * 3 + 1] === 0 && smooth[q * 3 + 2] === 0;
      for (let c = 0; c < 3; c++) shift[q * 3 + c]! += n * (far ? mean[c]! : smooth[q * 3 + c]!) - badSums[q * 3 + c]!;
    }
    return bad;
  } finally {
    sums.fill(0); weight.fill(0); badSums.fill(0); badCount.fill(0); smooth.fill(0);
  }
}
