import { apply, distance, faceAnchors, faceOutline, inset, invert, similarity, type Affine, type Point } from '../../../imaging/geometry.js';
import type { FaceInHoleTemplate } from './kind.js';
import { labStats, labToRgb, rgbToLab } from '../../../imaging/colour.js';
import { drawAligned, feather, polygonMask, regionAround, type Raster, type Region } from '../../../imaging/raster.js';

/** Feather radius of the face outline, as a fraction of the slot's eye distance. */
const FEATHER = 0.18;

/**
 * A scene with face openings: each slot's face is placed by the similarity transform that best
 * takes its eye centres and mouth centre onto the slot's anchors, clipped by the face outline
 * (jaw + lifted brows, feathered), pulled towards the scene's tone, and drawn *behind* the art.
 * `art` is the scene at output size; `scale` = output / native.
 */
export function compositeFaceInHole(
  out: Raster, source: Raster, template: FaceInHoleTemplate, art: Raster, flat: Uint8Array, scale: number,
  faces: readonly { readonly landmarks: readonly Point[] }[],
): void {
  const toneLab = new Float32Array(3);
  rgbToLab(Float32Array.from(template.tone.rgb), toneLab, 1);
  // Geometry first: outside the union of the slots' regions the result is `flat`, the art over
  // the backdrop, which depends on the template only (cached by the registry; no user pixels).
  const placed = template.slots.map((_, s) => placeSlot(faces[s % faces.length]!, template, s, scale, out));
  const union = unionOf(placed.map((p) => p?.region));
  out.data.set(flat);
  if (!union) return;
  const [br, bg, bb] = template.backdrop;
  for (let y = union.y; y < union.y + union.height; y++) {
    const row = (y * out.width + union.x) * 3;
    for (let i = row; i < row + union.width * 3; i += 3) { out.data[i] = br; out.data[i + 1] = bg; out.data[i + 2] = bb; }
  }

  for (const slot of placed) {
    if (!slot) continue;
    const { region, mask, toSource } = slot;
    const count = region.width * region.height;
    // Working copies of the person's face: zeroed before the slot is done (see the finally below).
    const rgb = new Float32Array(count * 3);
    const lab = new Float32Array(count * 3);
    try {
      const { a, b, c: tc, d, e, f } = toSource;
      const sw = source.width; const sh = source.height; const sd = source.data;
      for (let row = 0; row < region.height; row++) {
        for (let col = 0; col < region.width; col++) {
          const p = row * region.width + col;
          if (mask[p]! < 0.002) continue;
          const x = region.x + col; const y = region.y + row;
          // Bilinear sample of the RGB source, as sample() in raster.ts (inlined: this is the hot loop).
          const sx = a * x + b * y + tc; const sy = d * x + e * y + f;
          if (sx < -0.5 || sy < -0.5 || sx > sw - 0.5 || sy > sh - 0.5) {
            mask[p] = 0;
            continue;
          }
          const fx = Math.min(Math.max(sx, 0), sw - 1); const fy = Math.min(Math.max(sy, 0), sh - 1);
          const x0 = Math.floor(fx); const y0 = Math.floor(fy);
          const x1 = Math.min(x0 + 1, sw - 1); const y1 = Math.min(y0 + 1, sh - 1);
          const tx = fx - x0; const ty = fy - y0;
          const i00 = (y0 * sw + x0) * 3; const i10 = (y0 * sw + x1) * 3;
          const i01 = (y1 * sw + x0) * 3; const i11 = (y1 * sw + x1) * 3;
          for (let ch = 0; ch < 3; ch++) {
            const top = sd[i00 + ch]! + (sd[i10 + ch]! - sd[i00 + ch]!) * tx;
            const bottom = sd[i01 + ch]! + (sd[i11 + ch]! - sd[i01 + ch]!) * tx;
            rgb[p * 3 + ch] = top + (bottom - top) * ty;
          }
        }
      }
      // Tone: move the face's mean Lab towards the scene's tone, keeping its own contrast.
      rgbToLab(rgb, lab, count, mask);
      const stats = labStats(lab, mask);
      const shift = [0, 1, 2].map((c) => (toneLab[c]! - stats.mean[c]!) * template.tone.amount);
      const [s0, s1, s2] = shift as [number, number, number];
      for (let p = 0; p < count; p++) {
        if (mask[p]! < 0.002) continue;
        lab[p * 3]! += s0; lab[p * 3 + 1]! += s1; lab[p * 3 + 2]! += s2;
      }
      labToRgb(lab, rgb, count, mask);

      for (let row = 0; row < region.height; row++) {
        for (let col = 0; col < region.width; col++) {
          const p = row * region.width + col;
          const m = mask[p]!;
          if (m < 0.002) continue;
          const i = ((region.y + row) * out.width + region.x + col) * 3;
          for (let c = 0; c < 3; c++) out.data[i + c] = Math.round(out.data[i + c]! + (Math.min(255, rgb[p * 3 + c]!) - out.data[i + c]!) * m);
        }
      }
    } finally {
      rgb.fill(0);
      lab.fill(0);
    }
  }
  drawAligned(out, art, union);
}

interface PlacedSlot {
  readonly region: Region;
  readonly mask: Float32Array;
  readonly toSource: Affine;
}

/** Where slot `s` puts `face` on `out`: its region, feathered outline mask and output → source map. */
function placeSlot(
  face: { readonly landmarks: readonly Point[] }, template: FaceInHoleTemplate, s: number, scale: number, out: Raster,
): PlacedSlot | null {
  const target = template.slots[s]!.anchors;
  const from = faceAnchors(face.landmarks);
  const to: Point[] = [target.leftEye, target.rightEye, target.mouth!].map(([x, y]) => [x * scale, y * scale] as const);
  const toOut = similarity([from.leftEye, from.rightEye, from.mouth], to);
  const radius = Math.max(1.5, FEATHER * distance(to[0]!, to[1]!));
  const outline = faceOutline(face.landmarks, template.forehead).map((p) => apply(toOut, p));
  const region = regionAround(outline, 1, out.width, out.height);
  if (!region) return null;
  const mask = polygonMask(inset(outline, radius), region);
  feather(mask, region.width, region.height, radius);
  return { region, mask, toSource: invert(toOut) };
}

function unionOf(regions: readonly (Region | undefined)[]): Region | null {
  let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
  for (const r of regions) {
    if (!r) continue;
    x0 = Math.min(x0, r.x); y0 = Math.min(y0, r.y); x1 = Math.max(x1, r.x + r.width); y1 = Math.max(y1, r.y + r.height);
  }
  return x1 > x0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** The art (template pixels only) drawn over its plain backdrop, as RGB. */
export function artOverBackdrop(art: Raster, [r, g, b]: readonly [number, number, number]): Uint8Array {
  const flat = new Uint8Array(art.width * art.height * 3);
  for (let i = 0; i < flat.length; i += 3) { flat[i] = r; flat[i + 1] = g; flat[i + 2] = b; }
  drawAligned({ data: flat, width: art.width, height: art.height, channels: 3 }, art);
  return flat;
}
