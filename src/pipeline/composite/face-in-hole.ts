import { apply, distance, faceAnchors, faceOutline, inset, invert, similarity, type Vec } from '../../templates/geometry.js';
import type { FaceInHoleTemplate, Pixels } from '../../templates/registry.js';
import { labStats, labToRgb, rgbToLab } from './colour.js';
import { drawAligned, feather, polygonMask, regionAround, sample, type Raster } from './raster.js';

/** Feather radius of the face outline, as a fraction of the slot's eye distance. */
const FEATHER = 0.18;

/**
 * A scene with face openings: each slot's face is placed by the similarity transform that best
 * takes its eye centres and mouth centre onto the slot's anchors, clipped by the face outline
 * (jaw + lifted brows, feathered), pulled towards the scene's tone, and drawn *behind* the art.
 * `art` is the scene at output size; `scale` = output / native.
 */
export function compositeFaceInHole(
  out: Raster, source: Raster, template: FaceInHoleTemplate, art: Pixels, scale: number,
  faces: readonly { readonly landmarks: readonly Vec[] }[],
): void {
  const [br, bg, bb] = template.backdrop;
  out.data[0] = br; out.data[1] = bg; out.data[2] = bb;
  for (let filled = 3; filled < out.data.length; filled *= 2) out.data.copyWithin(filled, 0, Math.min(filled, out.data.length - filled));
  const toneLab = new Float32Array(3);
  rgbToLab(template.tone.rgb, toneLab, 1);

  template.slots.forEach((slot, s) => {
    const face = faces[s % faces.length]!;
    const target = slot.anchors;
    const from = faceAnchors(face.landmarks);
    const to: Vec[] = [target.leftEye, target.rightEye, target.mouth!].map(([x, y]) => [x * scale, y * scale] as const);
    const toOut = similarity([from.leftEye, from.rightEye, from.mouth], to);
    const toSource = invert(toOut);
    const radius = Math.max(1.5, FEATHER * distance(to[0]!, to[1]!));
    const outline = faceOutline(face.landmarks, template.forehead).map((p) => apply(toOut, p));
    const region = regionAround(outline, 1, out.width, out.height);
    if (!region) return;
    const mask = polygonMask(inset(outline, radius), region);
    feather(mask, region.width, region.height, radius);

    const count = region.width * region.height;
    const rgb = new Float32Array(count * 3);
    const px = new Float32Array(3);
    for (let row = 0; row < region.height; row++) {
      for (let col = 0; col < region.width; col++) {
        const p = row * region.width + col;
        if (mask[p]! < 0.002) continue;
        const x = region.x + col; const y = region.y + row;
        if (!sample(source, toSource.a * x + toSource.b * y + toSource.c, toSource.d * x + toSource.e * y + toSource.f, px)) {
          mask[p] = 0;
          continue;
        }
        rgb[p * 3] = px[0]!; rgb[p * 3 + 1] = px[1]!; rgb[p * 3 + 2] = px[2]!;
      }
    }
    // Tone: move the face's mean Lab towards the scene's tone, keeping its own contrast.
    const lab = new Float32Array(count * 3);
    rgbToLab(rgb, lab, count, mask);
    const stats = labStats(lab, mask);
    const shift = [0, 1, 2].map((c) => (toneLab[c]! - stats.mean[c]!) * template.tone.amount);
    for (let p = 0; p < count; p++) for (let c = 0; c < 3; c++) lab[p * 3 + c]! += shift[c]!;
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
  });
  drawAligned(out, art);
}
