import { apply, distance, faceAnchors, similarity, triangleAffine, type Point } from '../../../imaging/geometry.js';
import type { Raster, Region } from '../../../imaging/raster.js';

/**
 * Geometry of a face swap: the 68 points plus a forehead band (the brows lifted, so the swapped
 * texture reaches above the brows and the blend boundary does not cut through them), the
 * destination shape between the template's face and the user's, and piecewise-affine warps.
 */

/** Brow-to-chin height fraction the forehead points sit above the brows. */
const FOREHEAD = 0.12;
/** Points 68–77: brows 17–26 lifted. */
export const EXTENDED = 78;
/** The 68-point layout's left–right pairs: point i of a mirrored face is point MIRROR[i] of the face. */
export const MIRROR: readonly number[] = (() => {
  const m = Array.from({ length: 68 }, (_, i) => i);
  const pair = (a: number, b: number): void => { m[a] = b; m[b] = a; };
  for (let i = 0; i < 8; i++) pair(i, 16 - i);
  for (let i = 0; i < 5; i++) pair(17 + i, 26 - i);
  pair(31, 35); pair(32, 34);
  pair(36, 45); pair(37, 44); pair(38, 43); pair(39, 42); pair(40, 47); pair(41, 46);
  pair(48, 54); pair(49, 53); pair(50, 52); pair(55, 59); pair(56, 58);
  pair(60, 64); pair(61, 63); pair(65, 67);
  return m;
})();

/** MIRROR for the extended layout (lifted brow 17 + j is point 68 + j). */
const MIRROR_EXTENDED: readonly number[] = [...MIRROR, ...Array.from({ length: 10 }, (_, j) => 68 + 9 - j)];
/** Points the user's face is aligned to the template's by: eyes, nose, mouth corners (rigid parts). */
const ALIGN = [...Array.from({ length: 12 }, (_, i) => 36 + i), 27, 28, 29, 30, 31, 33, 35, 48, 54];
/** Largest move of a point by `shape`, as a fraction of the template face's eye distance (beyond it the warp folds). */
const MAX_MOVE = 0.45;

export function extend(landmarks: readonly Point[]): Point[] {
  const chin = landmarks[8]!;
  let bx = 0; let by = 0;
  for (let i = 17; i < 27; i++) { bx += landmarks[i]![0]; by += landmarks[i]![1]; }
  const ux = (bx / 10 - chin[0]) * FOREHEAD; const uy = (by / 10 - chin[1]) * FOREHEAD;
  const out = landmarks.slice(0, 68) as Point[];
  for (let i = 17; i < 27; i++) out.push([landmarks[i]![0] + ux, landmarks[i]![1] + uy]);
  return out;
}

/** Point i of the mirrored face, in the original image (its texture comes from there). */
export function mirrored(points: readonly Point[]): Point[] {
  return points.map((_, i) => points[MIRROR_EXTENDED[i]!]!);
}

/**
 * Where the swapped face's points go: the template's points moved `shape` (0–1) of the way
 * towards the user's, once the user's are aligned to the template's (least-squares similarity on
 * the rigid points). `geometry` is the user's face as it should look (already mirrored if so).
 */
export function destination(template: readonly Point[], geometry: readonly Point[], shape: number, reflect: boolean): Point[] {
  if (shape <= 0) return template.slice();
  // A mirrored face is a reflected point set: reflect it back before fitting a similarity (no reflection).
  const g = reflect ? geometry.map(([x, y]) => [-x, y] as const) : geometry;
  const map = similarity(ALIGN.map((i) => g[i]!), ALIGN.map((i) => template[i]!));
  const { leftEye, rightEye } = faceAnchors(template);
  const limit = MAX_MOVE * distance(leftEye, rightEye);
  return template.map((t, i) => {
    const [ax, ay] = apply(map, g[i]!);
    let dx = (ax - t[0]) * shape; let dy = (ay - t[1]) * shape;
    const len = Math.hypot(dx, dy);
    if (len > limit) { dx *= limit / len; dy *= limit / len; }
    return [t[0] + dx, t[1] + dy] as const;
  });
}

/**
 * A fixed ring around the face (an ellipse 1.7× the face's extent, 20 points): the template's
 * pixels between the face and the ring are warped with the face, those outside stay put.
 */
export function outerRing(points: readonly Point[]): Point[] {
  let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
  for (const [x, y] of points) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  const cx = (x0 + x1) / 2; const cy = (y0 + y1) / 2;
  const rx = (x1 - x0) * 0.85; const ry = (y1 - y0) * 0.85;
  return Array.from({ length: 20 }, (_, k) => {
    const a = (k / 20) * 2 * Math.PI;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as const;
  });
}

/**
 * Fills the pixels of `region` inside triangle `to` with `source` sampled (bilinearly) in
 * triangle `from`: into `warped` (region-sized RGB floats, marking `covered`) or, when `warped`
 * is null, straight into `into` (an RGB raster, rounded).
 */
export function warpTriangle(
  source: Raster, from: readonly [Point, Point, Point], to: readonly [Point, Point, Point], region: Region,
  warped: Float32Array | null, covered: Uint8Array | null, into?: Raster, skip?: RowSpans,
): void {
  const map = triangleAffine(to, from);
  if (!map) return;
  const [[x0, y0], [x1, y1], [x2, y2]] = to;
  // Scanlines: per row, the span between the triangle's edges (widened by a hundredth of a pixel
  // so that neighbouring triangles leave no crack), sampled with the affine map along x.
  const top = Math.max(region.y, Math.ceil(Math.min(y0, y1, y2) - 0.01));
  const bottom = Math.min(region.y + region.height - 1, Math.floor(Math.max(y0, y1, y2) + 0.01));
  const minX = region.x; const maxX = region.x + region.width - 1;
  const { a, b, c, d, e, f } = map;
  for (let y = top; y <= bottom; y++) {
    span[0] = Infinity; span[1] = -Infinity;
    edgeSpan(x0, y0, x1, y1, y); edgeSpan(x1, y1, x2, y2, y); edgeSpan(x2, y2, x0, y0, y);
    const left = Math.max(minX, Math.ceil(span[0]! - 0.01));
    const right = Math.min(maxX, Math.floor(span[1]! + 0.01));
    // Raster in `skip`'s span of this row are left alone (the caller overwrites them anyway).
    const skipFrom = skip ? skip.from[y - skip.y] ?? Infinity : Infinity;
    const skipTo = skip ? skip.to[y - skip.y] ?? -Infinity : -Infinity;
    // The map's terms in y, as a * x + b * y + c is summed (same order, same rounding).
    const by = b * y; const ey = e * y;
    if (skipFrom <= skipTo) {
      sampleRow(source, left, Math.min(right, skipFrom - 1), y, a, by, c, d, ey, f, region, warped, covered, into);
      sampleRow(source, Math.max(left, skipTo + 1), right, y, a, by, c, d, ey, f, region, warped, covered, into);
    } else {
      sampleRow(source, left, right, y, a, by, c, d, ey, f, region, warped, covered, into);
    }
  }
}

/** Scratch of edgeSpan: the row's [lo, hi] so far. */
const span = new Float64Array(2);

/** Widens `span` by where edge (a → b) crosses row y (within a hundredth of a pixel). */
function edgeSpan(ax: number, ay: number, bx: number, by: number, y: number): void {
  if ((y < ay - 0.01 && y < by - 0.01) || (y > ay + 0.01 && y > by + 0.01)) return;
  if (Math.abs(by - ay) < 1e-9) {
    span[0] = Math.min(span[0]!, ax, bx); span[1] = Math.max(span[1]!, ax, bx);
    return;
  }
  const t = Math.min(1, Math.max(0, (y - ay) / (by - ay)));
  const x = ax + (bx - ax) * t;
  if (x < span[0]!) span[0] = x;
  if (x > span[1]!) span[1] = x;
}

const NO_FLOATS = new Float32Array(0);
const NO_BYTES = new Uint8Array(0);

/**
 * Pixels left..right of row y, sampled bilinearly (as sample() in raster.ts) at (a x + by + c,
 * d x + ey + f), into `warped` (marking `covered`) or else rounded into `into`. The hot loop of
 * every warp: samples well inside the source skip the clamping. Both destinations are always
 * typed arrays (empty when unused), so each store site stays monomorphic for V8.
 */
function sampleRow(
  source: Raster, left: number, right: number, y: number, a: number, by: number, c: number, d: number, ey: number, f: number,
  region: Region, warped: Float32Array | null, covered: Uint8Array | null, into?: Raster,
): void {
  if (right < left) return;
  const toWarped = warped !== null;
  const wd = warped ?? NO_FLOATS; const cov = covered ?? NO_BYTES; const od = into?.data ?? NO_BYTES;
  const p0 = toWarped ? (y - region.y) * region.width + (left - region.x) : (y * into!.width + left);
  const sw = source.width; const sh = source.height; const sd = source.data; const ch = source.channels;
  const innerX = sw - 1; const innerY = sh - 1; const rowStride = sw * ch;
  for (let x = left, p = p0; x <= right; x++, p++) {
    const sx = a * x + by + c;
    const sy = d * x + ey + f;
    let i00: number; let i10: number; let i01: number; let i11: number; let tx: number; let ty: number;
    if (sx >= 0 && sy >= 0 && sx < innerX && sy < innerY) {
      const ix0 = sx | 0; const iy0 = sy | 0;
      tx = sx - ix0; ty = sy - iy0;
      i00 = iy0 * rowStride + ix0 * ch; i10 = i00 + ch; i01 = i00 + rowStride; i11 = i01 + ch;
    } else {
      if (sx < -0.5 || sy < -0.5 || sx > sw - 0.5 || sy > sh - 0.5) continue;
      const fx = Math.min(Math.max(sx, 0), innerX); const fy = Math.min(Math.max(sy, 0), innerY);
      const ix0 = fx | 0; const iy0 = fy | 0;
      const ix1 = Math.min(ix0 + 1, innerX); const iy1 = Math.min(iy0 + 1, innerY);
      tx = fx - ix0; ty = fy - iy0;
      i00 = (iy0 * sw + ix0) * ch; i10 = (iy0 * sw + ix1) * ch;
      i01 = (iy1 * sw + ix0) * ch; i11 = (iy1 * sw + ix1) * ch;
    }
    const u0 = sd[i00]! + (sd[i10]! - sd[i00]!) * tx; const l0 = sd[i01]! + (sd[i11]! - sd[i01]!) * tx;
    const u1 = sd[i00 + 1]! + (sd[i10 + 1]! - sd[i00 + 1]!) * tx; const l1 = sd[i01 + 1]! + (sd[i11 + 1]! - sd[i01 + 1]!) * tx;
    const u2 = sd[i00 + 2]! + (sd[i10 + 2]! - sd[i00 + 2]!) * tx; const l2 = sd[i01 + 2]! + (sd[i11 + 2]! - sd[i01 + 2]!) * tx;
    const v0 = u0 + (l0 - u0) * ty; const v1 = u1 + (l1 - u1) * ty; const v2 = u2 + (l2 - u2) * ty;
    if (toWarped) {
      wd[p * 3] = v0; wd[p * 3 + 1] = v1; wd[p * 3 + 2] = v2;
      cov[p] = 1;
    } else {
      od[p * 3] = (v0 + 0.5) | 0; od[p * 3 + 1] = (v1 + 0.5) | 0; od[p * 3 + 2] = (v2 + 0.5) | 0;
    }
  }
}

/** Per image row from `y`, the x span [from, to] inside a convex polygon (Infinity/−Infinity where none). */
export interface RowSpans { readonly y: number; readonly from: Float64Array; readonly to: Float64Array }

export function convexRowSpans(polygon: readonly Point[]): RowSpans {
  let y0 = Infinity; let y1 = -Infinity;
  for (const [, y] of polygon) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const top = Math.ceil(y0); const rows = Math.max(0, Math.floor(y1) - top + 1);
  const from = new Float64Array(rows).fill(Infinity); const to = new Float64Array(rows).fill(-Infinity);
  for (let k = 0; k < polygon.length; k++) {
    const [ax, ay] = polygon[k]!; const [bx, by] = polygon[(k + 1) % polygon.length]!;
    if (ay === by) continue;
    const lo = Math.ceil(Math.min(ay, by)); const hi = Math.floor(Math.max(ay, by));
    for (let y = lo; y <= hi; y++) {
      const x = ax + ((y - ay) / (by - ay)) * (bx - ax);
      const r = y - top;
      if (r < 0 || r >= rows) continue;
      if (x < from[r]!) from[r] = x;
      if (x > to[r]!) to[r] = x;
    }
  }
  // Only whole pixels strictly inside.
  for (let r = 0; r < rows; r++) { from[r] = Math.ceil(from[r]!); to[r] = Math.floor(to[r]!); }
  return { y: top, from, to };
}
