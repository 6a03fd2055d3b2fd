// The seam measure of test/effects-quality.test.ts, for npm run bench:swap: the mean luminance
// gradient along the blend contours (hull, hull inset by the feather radius, and by twice it) in
// the result, divided by the same in the portrait. A pasted edge raises it well above 1.
import sharp from 'sharp';
import { convexHull, distance, inset } from '../dist/src/imaging/geometry.js';

export function boundaryGradient(img, polygon) {
  const lum = (x, y) => {
    const i = (Math.round(y) * img.width + Math.round(x)) * 3;
    return 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
  };
  let sum = 0; let n = 0;
  for (let k = 0; k < polygon.length; k++) {
    const [x0, y0] = polygon[k]; const [x1, y1] = polygon[(k + 1) % polygon.length];
    const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0));
    for (let s = 0; s < steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps; const y = y0 + ((y1 - y0) * s) / steps;
      sum += Math.hypot(lum(x + 1, y) - lum(x - 1, y), lum(x, y + 1) - lum(x, y - 1)) / 2;
      n++;
    }
  }
  return sum / n;
}

/** Worst (result + 1) ÷ (portrait + 1) ratio over the slots' three contours; the result must be at the template's native size. */
export async function seamRatio(resultPng, template) {
  const out = await sharp(resultPng).raw().toBuffer({ resolveWithObject: true });
  const portrait = { data: template.art.data, width: template.width };
  let worst = 0;
  for (const slot of template.slots) {
    const hull = convexHull(slot.landmarks);
    const radius = template.feather * distance(slot.anchors.leftEye, slot.anchors.rightEye);
    for (const level of [0, 1, 2]) {
      const contour = inset(hull, radius * level);
      worst = Math.max(worst, (boundaryGradient({ data: out.data, width: out.info.width }, contour) + 1) / (boundaryGradient(portrait, contour) + 1));
    }
  }
  return worst;
}
