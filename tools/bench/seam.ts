import { convexHull, distance, inset, type Point } from '../../src/imaging/geometry.js';

/** An RGB raster as the seam measure reads it. */
export interface RgbImage { readonly data: Uint8Array; readonly width: number }

/**
 * The face-swap seam measure (test/effects-quality.test.ts and npm run bench:swap): the mean
 * luminance gradient of `img` at the pixels along `polygon`. A pasted edge is a step in
 * luminance, which raises it above the portrait's own gradient there.
 */
export function boundaryGradient(img: RgbImage, polygon: readonly Point[]): number {
  const lum = (x: number, y: number): number => {
    const i = (Math.round(y) * img.width + Math.round(x)) * 3;
    return 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
  };
  let sum = 0; let n = 0;
  for (let k = 0; k < polygon.length; k++) {
    const [x0, y0] = polygon[k]!; const [x1, y1] = polygon[(k + 1) % polygon.length]!;
    const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0));
    for (let s = 0; s < steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps; const y = y0 + ((y1 - y0) * s) / steps;
      sum += Math.hypot(lum(x + 1, y) - lum(x - 1, y), lum(x, y + 1) - lum(x, y - 1)) / 2;
      n++;
    }
  }
  return sum / n;
}

/** What the measure needs of a face-swap slot. */
export interface SeamSlot { readonly landmarks: readonly Point[]; readonly anchors: { readonly leftEye: Point; readonly rightEye: Point } }

/**
 * The contours a slot is measured along: the face's hull, and the hull inset by the feather
 * radius and by twice it (the Poisson blend's boundary lies between the first two).
 */
export function seamContours(slot: SeamSlot, feather: number): Point[][] {
  const hull = convexHull(slot.landmarks);
  const radius = feather * distance(slot.anchors.leftEye, slot.anchors.rightEye);
  return [0, 1, 2].map((level) => inset(hull, radius * level));
}

/** What seamRatio needs of a face-swap template: its portrait at native size, slots and feather. */
export interface SeamTemplate { readonly art: { readonly data: Uint8Array }; readonly width: number; readonly feather: number; readonly slots: readonly SeamSlot[] }

/**
 * npm run bench:swap's figure: the worst (result + 1) ÷ (portrait + 1) gradient ratio over the
 * slots' contours. `result` is the RGB result at the template's native size.
 */
export function seamRatio(result: RgbImage, template: SeamTemplate): number {
  let worst = 0;
  for (const slot of template.slots) {
    for (const contour of seamContours(slot, template.feather)) {
      worst = Math.max(worst, (boundaryGradient(result, contour) + 1) / (boundaryGradient({ data: template.art.data, width: template.width }, contour) + 1));
    }
  }
  return worst;
}
