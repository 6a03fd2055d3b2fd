import { convexHull, distance, inset, triangleAffine, type Point } from '../../../imaging/geometry.js';
import type { FaceSwapTemplate } from './kind.js';
import { labStats, labToRgb, rgbToLab, transferLab } from '../../../imaging/colour.js';
import { feather, polygonMask, regionAround, type Raster, type Region } from '../../../imaging/raster.js';

/**
 * Face swap: the user's face is warped onto the portrait face piecewise-affinely (each triangle
 * of the portrait face's Delaunay triangulation of the 68 points gets the matching triangle of
 * the user's face), colour-matched to the portrait inside the face mask (Lab mean and spread),
 * and blended through a feathered mask so that no seam shows. `strength` (0–1) is how much of
 * the user's face replaces the portrait's.
 */
export function compositeFaceSwap(
  out: Raster, source: Raster, template: FaceSwapTemplate, art: Raster, scale: number,
  faces: readonly { readonly landmarks: readonly Point[] }[], strength: number,
): void {
  out.data.set(art.data);
  const done: Region[] = [];
  template.slots.forEach((slot, s) => {
    const face = faces[s % faces.length]!;
    const prepared = preparedSlot(template, art, s, scale, out);
    if (!prepared) return;
    const { dst, region } = prepared;
    const count = region.width * region.height;
    // Working copies of the person's face (and of the canvas): zeroed before the slot is done.
    const warped = new Float32Array(count * 3);
    const faceLab = new Float32Array(count * 3);
    let canvasCopies: Float32Array[] = [];
    try {
      const covered = new Float32Array(count);
      for (const [i, j, k] of slot.triangles!) warpTriangle(source, [face.landmarks[i]!, face.landmarks[j]!, face.landmarks[k]!],
        [dst[i]!, dst[j]!, dst[k]!], region, warped, covered);

      const mask = prepared.mask.slice();
      for (let p = 0; p < count; p++) mask[p]! *= covered[p]!;

      rgbToLab(warped, faceLab, count, mask);
      // The portrait under this slot is still the pristine art unless an earlier slot drew over it.
      let portraitLab = prepared.portraitLab;
      if (done.some((r) => overlaps(r, region))) {
        const portrait = new Float32Array(count * 3);
        for (let row = 0; row < region.height; row++) {
          const from = ((region.y + row) * out.width + region.x) * 3;
          portrait.set(out.data.subarray(from, from + region.width * 3), row * region.width * 3);
        }
        portraitLab = new Float32Array(count * 3);
        canvasCopies = [portrait, portraitLab];
        rgbToLab(portrait, portraitLab, count, mask);
      }
      done.push(region);
      transferLab(faceLab, count, labStats(faceLab, mask), labStats(portraitLab, mask), 1, mask);
      labToRgb(faceLab, warped, count, mask);

      for (let row = 0; row < region.height; row++) {
        for (let col = 0; col < region.width; col++) {
          const p = row * region.width + col;
          const m = mask[p]! * strength;
          if (m < 0.002) continue;
          const i = ((region.y + row) * out.width + region.x + col) * 3;
          for (let c = 0; c < 3; c++) out.data[i + c] = Math.round(out.data[i + c]! + (Math.min(255, warped[p * 3 + c]!) - out.data[i + c]!) * m);
        }
      }
    } finally {
      warped.fill(0);
      faceLab.fill(0);
      for (const copy of canvasCopies) copy.fill(0);
    }
  });
}

interface PreparedSlot {
  readonly dst: Point[];
  readonly region: Region;
  /** The feathered hull mask, before it is cut to the pixels the warp covered. */
  readonly mask: Float32Array;
  /** Lab of the art (template pixels only) over `region`. */
  readonly portraitLab: Float32Array;
}

/**
 * What depends on the template and output size only, computed once per art object and slot:
 * the slot's landmarks at output scale, region, feathered mask and the portrait's Lab there.
 */
const prepared = new WeakMap<Raster, Map<number, PreparedSlot | null>>();
function preparedSlot(template: FaceSwapTemplate, art: Raster, s: number, scale: number, out: Raster): PreparedSlot | null {
  let bySlot = prepared.get(art);
  if (!bySlot) { bySlot = new Map(); prepared.set(art, bySlot); }
  const known = bySlot.get(s);
  if (known !== undefined) return known;
  const slot = template.slots[s]!;
  const dst = slot.landmarks!.map(([x, y]) => [x * scale, y * scale] as const);
  const hull = convexHull(dst);
  const region = regionAround(hull, 1, out.width, out.height);
  let made: PreparedSlot | null = null;
  if (region) {
    const eyes = distance(scaleVec(slot.anchors.leftEye, scale), scaleVec(slot.anchors.rightEye, scale));
    const radius = Math.max(1.5, template.feather * eyes);
    const mask = polygonMask(inset(hull, radius), region);
    feather(mask, region.width, region.height, radius);
    const count = region.width * region.height;
    const portrait = new Float32Array(count * 3);
    for (let row = 0; row < region.height; row++) {
      const from = ((region.y + row) * art.width + region.x) * 3;
      portrait.set(art.data.subarray(from, from + region.width * 3), row * region.width * 3);
    }
    const portraitLab = new Float32Array(count * 3);
    rgbToLab(portrait, portraitLab, count);
    made = { dst, region, mask, portraitLab };
  }
  bySlot.set(s, made);
  return made;
}

function overlaps(a: Region, b: Region): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function scaleVec([x, y]: Point, s: number): Point {
  return [x * s, y * s];
}

/** Fills the pixels of `region` inside triangle `to` with `source` sampled in triangle `from`. */
function warpTriangle(
  source: Raster, from: [Point, Point, Point], to: [Point, Point, Point], region: Region, warped: Float32Array, covered: Float32Array,
): void {
  const map = triangleAffine(to, from);
  if (!map) return;
  const [[x0, y0], [x1, y1], [x2, y2]] = to;
  const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  const sign = Math.sign(area);
  const eps = 1e-6 * Math.abs(area) + 0.01;
  const left = Math.max(region.x, Math.floor(Math.min(x0, x1, x2)));
  const right = Math.min(region.x + region.width - 1, Math.ceil(Math.max(x0, x1, x2)));
  const top = Math.max(region.y, Math.floor(Math.min(y0, y1, y2)));
  const bottom = Math.min(region.y + region.height - 1, Math.ceil(Math.max(y0, y1, y2)));
  const sw = source.width; const sh = source.height; const sd = source.data; const ch = source.channels;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const w0 = sign * ((x1 - x) * (y2 - y) - (x2 - x) * (y1 - y));
      const w1 = sign * ((x2 - x) * (y0 - y) - (x0 - x) * (y2 - y));
      const w2 = sign * ((x0 - x) * (y1 - y) - (x1 - x) * (y0 - y));
      if (w0 < -eps || w1 < -eps || w2 < -eps) continue;
      const sx = map.a * x + map.b * y + map.c;
      const sy = map.d * x + map.e * y + map.f;
      // Bilinear sample, as sample() in raster.ts (inlined: this is the hot loop).
      if (sx < -0.5 || sy < -0.5 || sx > sw - 0.5 || sy > sh - 0.5) continue;
      const fx = Math.min(Math.max(sx, 0), sw - 1); const fy = Math.min(Math.max(sy, 0), sh - 1);
      const ix0 = Math.floor(fx); const iy0 = Math.floor(fy);
      const ix1 = Math.min(ix0 + 1, sw - 1); const iy1 = Math.min(iy0 + 1, sh - 1);
      const tx = fx - ix0; const ty = fy - iy0;
      const i00 = (iy0 * sw + ix0) * ch; const i10 = (iy0 * sw + ix1) * ch;
      const i01 = (iy1 * sw + ix0) * ch; const i11 = (iy1 * sw + ix1) * ch;
      const p = (y - region.y) * region.width + (x - region.x);
      for (let c = 0; c < 3; c++) {
        const upper = sd[i00 + c]! + (sd[i10 + c]! - sd[i00 + c]!) * tx;
        const lower = sd[i01 + c]! + (sd[i11 + c]! - sd[i01 + c]!) * tx;
        warped[p * 3 + c] = upper + (lower - upper) * ty;
      }
      covered[p] = 1;
    }
  }
}
