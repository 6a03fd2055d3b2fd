import { describe, expect, it } from 'vitest';
import type { Point } from '../../../imaging/geometry.js';
import { extend } from './geometry.js';
import { readFileSync } from 'node:fs';
import { CHROMA, DARKER, FEATURE_MARGIN, FILL_RADIUS, MIN_LUMA_SPREAD, OUTLINE_BAND, occluded } from './occlusion.js';

/** A frontal face drawn in the 68-point layout (eye distance 100 px), plus the forehead band. */
function layout(): Point[] {
  const p: Point[] = [];
  for (let t = 0; t <= 16; t++) p.push([200 - 110 * Math.cos((Math.PI * t) / 16), 190 + 140 * Math.sin((Math.PI * t) / 16)]);
  for (let i = 0; i < 5; i++) p.push([105 + i * 19, 140 - 6 * Math.sin((Math.PI * i) / 4)]);
  for (let i = 0; i < 5; i++) p.push([219 + i * 19, 140 - 6 * Math.sin((Math.PI * i) / 4)]);
  for (let i = 0; i < 4; i++) p.push([200, 160 + 20 * i]);
  for (let i = 0; i < 5; i++) p.push([180 + 10 * i, 235 + (i === 2 ? 3 : 0)]);
  const ring = (cx: number, cy: number, rx: number, ry: number, n: number): void => {
    for (let i = 0; i < n; i++) p.push([cx - rx * Math.cos((2 * Math.PI * i) / n), cy - ry * Math.sin((2 * Math.PI * i) / n)]);
  };
  ring(150, 170, 20, 7, 6); ring(250, 170, 20, 7, 6); ring(200, 275, 40, 15, 12); ring(200, 275, 30, 6, 8);
  return extend(p);
}
const points = layout();
const eyes = 100;
const xs = points.map((p) => p[0]); const ys = points.map((p) => p[1]);
const region = { x: Math.floor(Math.min(...xs)) - 8, y: Math.floor(Math.min(...ys)) - 8, width: 0, height: 0 };
Object.assign(region, { width: Math.ceil(Math.max(...xs)) + 8 - region.x, height: Math.ceil(Math.max(...ys)) + 8 - region.y });
const W = region.width; const H = region.height;

/** Skin (a warm brown, shaded top to bottom, with fine texture), painted by `paint` where it returns a colour. */
function face(paint: (x: number, y: number) => readonly [number, number, number] | null): { pixels: Float32Array; covered: Uint8Array } {
  const pixels = new Float32Array(W * H * 3);
  const covered = new Uint8Array(W * H).fill(1);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const shade = 20 * (y / H) + ((x + y) % 4 < 2 ? 3 : -3);
      const c = paint(x + region.x, y + region.y) ?? [200 - shade, 150 - shade, 120 - shade];
      pixels.set(c, p * 3);
    }
  }
  return { pixels, covered };
}

const count = (mask: Uint8Array, x0: number, x1: number, y0: number, y1: number): number => {
  let n = 0;
  for (let y = y0 - region.y; y < y1 - region.y; y++) for (let x = x0 - region.x; x < x1 - region.x; x++) n += mask[y * W + x]!;
  return n;
};

describe('occluded', () => {
  const jawLeft = points[2]![0];
  it('finds dark hair reaching over the face\'s outline, and not the features or a dark spot inside', () => {
    // Hair: a dark brown band over the left cheek from the outline inwards; a mole-sized dark
    // spot on the right cheek; dark eyes (features).
    const { pixels, covered } = face((x, y) => {
      if (x < jawLeft + 0.15 * eyes && y > points[19]![1] && y < points[4]![1]) return [45, 30, 25];
      if (Math.hypot(x - (points[14]![0] - 0.3 * eyes), y - points[30]![1]) < 0.06 * eyes) return [45, 30, 25];
      if (Math.hypot(x - points[37]![0], y - points[37]![1]) < 0.1 * eyes) return [30, 25, 25];
      return null;
    });
    const out = new Uint8Array(W * H);
    occluded(pixels, covered, points, region, eyes, out);
    const y0 = Math.round(points[29]![1]); const y1 = Math.round(points[3]![1]);
    const hair = count(out, Math.round(jawLeft), Math.round(jawLeft + 0.12 * eyes), y0, y1);
    expect(hair).toBeGreaterThan(0.8 * Math.round(0.12 * eyes) * (y1 - y0));
    const spotX = Math.round(points[14]![0] - 0.3 * eyes); const spotY = Math.round(points[30]![1]);
    expect(count(out, spotX - 8, spotX + 8, spotY - 8, spotY + 8)).toBe(0);
    const eye = points[37]!;
    expect(count(out, Math.round(eye[0]) - 10, Math.round(eye[0]) + 10, Math.round(eye[1]) - 10, Math.round(eye[1]) + 10)).toBe(0);
  });

  it('leaves a colour cast (not darker) and a light shadow (15 % darker) alone', () => {
    const out = new Uint8Array(W * H);
    const cast = face((x) => (x < jawLeft + 0.2 * eyes ? [170, 160, 190] : null));
    expect(occluded(cast.pixels, cast.covered, points, region, eyes, out)).toBe(0);
    const shadow = face((x, y) => (x < jawLeft + 0.2 * eyes ? [170 - 17 * (y - region.y) / H, 127 - 17 * (y - region.y) / H, 102 - 17 * (y - region.y) / H] : null));
    expect(occluded(shadow.pixels, shadow.covered, points, region, eyes, out)).toBe(0);
  });
});

describe('docs/performance.md', () => {
  it('states the hair settings as they are', () => {
    const text = readFileSync(new URL('../../../../docs/performance.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(text).toContain(`darker than the face's own skin median by ${DARKER} robust spreads, at least ${MIN_LUMA_SPREAD} grey levels each, and ${CHROMA} grey levels or more off its Cb/Cr`);
    expect(text).toContain(`outside the features' hull grown by ${FEATURE_MARGIN} × the eye distance`);
    expect(text).toContain(`within ${OUTLINE_BAND} × the eye distance of it`);
    expect(text).toContain(`blurred over ${FILL_RADIUS} × the eye distance`);
  });
});
