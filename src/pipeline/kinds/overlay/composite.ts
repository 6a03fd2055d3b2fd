import { apply, faceAnchors, invert, scaled, similarity, type Point } from '../../../imaging/geometry.js';
import type { OverlayTemplate } from './kind.js';
import { drawArt, regionAround, type Raster } from '../../../imaging/raster.js';

/** Sizes the overlay art is pre-scaled to, so that small faces are not drawn from huge art (aliasing). */
const ART_EDGES = [48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048];

/** The art's long edge to draw a face with, when the art's native long edge is scaled by `scale`. */
export function artEdgeFor(native: number, scale: number): number {
  const needed = native * scale;
  return Math.min(native, ART_EDGES.find((e) => e >= needed) ?? native);
}

export interface OverlayFace {
  readonly landmarks: readonly Point[];
}

/**
 * Draws the overlay art on each face of the photo `canvas` (in place): a similarity transform
 * takes the art's eye anchors onto the face's eye centres, so the art is scaled with the eye
 * distance and rotated with the eye line.
 */
export async function compositeOverlay(
  canvas: Raster, template: OverlayTemplate, faces: readonly OverlayFace[],
  artAt: (longEdge: number) => Promise<Raster>,
): Promise<void> {
  const { anchors } = template.slots[0]!;
  const native = Math.max(template.width, template.height);
  for (const face of faces) {
    const eyes = faceAnchors(face.landmarks);
    const toPhoto = similarity([anchors.leftEye, anchors.rightEye], [eyes.leftEye, eyes.rightEye]);
    const edge = artEdgeFor(native, Math.hypot(toPhoto.a, toPhoto.d));
    const art = edge === native ? template.art : await artAt(edge);
    const k = art.width / template.width;
    const corners: Point[] = [[0, 0], [template.width, 0], [0, template.height], [template.width, template.height]];
    const region = regionAround(corners.map((p) => apply(toPhoto, p)), 1, canvas.width, canvas.height);
    if (!region) continue;
    drawArt(canvas, art, scaled(invert(toPhoto), k), region, template.opacity);
  }
}
