import { convexHull, distance, faceAnchors, inset, type Point } from '../../../imaging/geometry.js';
import type { FaceSwapTemplate } from './kind.js';
import { labStats, labToRgb, rgbToLab, transferLab } from '../../../imaging/colour.js';
import { feather, polygonMask, regionAround, type Raster, type Region } from '../../../imaging/raster.js';
import { seamlessClone } from '../../../imaging/seamless.js';
import { delaunay } from '../../../imaging/triangulation.js';
import { errors } from '../../../errors.js';
import { estimatePose, type Pose } from '../../../faces/pose.js';
import { convexRowSpans, destination, EXTENDED, extend, mirrored, outerRing, warpTriangle, type RowSpans } from './geometry.js';
import { flattenCast } from './tone.js';
import { fillBadBoundary, occluded as findOccluded } from './occlusion.js';

/**
 * Face swap: the template's face geometry is first moved `shape` of the way towards the user's
 * (the portrait around the face moves with it, through a piecewise-affine warp out to a fixed
 * ring, so jaw and features move without tearing); the user's face texture is then warped onto
 * that geometry triangle by triangle and blended in the gradient domain (Poisson, as OpenCV's
 * seamlessClone: the user's gradients inside, the portrait's colours on the boundary), so that
 * the portrait's lighting and skin tone carry into the face with no seam. `strength` (0–1) is the
 * share of the user's texture. A face turned well the other way from the template's is mirrored
 * first. A strong coloured light on the user's face (a slow change of chroma across it) is taken
 * out before the blend (tone.ts).
 *
 * `blend: 'feather'` (a template setting) keeps the earlier blend: Lab colour transfer and a
 * feathered mask.
 */
export interface FaceSwapOptions {
  /** 0–1: share of the user's face texture. */
  readonly strength: number;
  /** 0–1: how far the template's face geometry moves towards the user's. */
  readonly shape: number;
  /** A user's face turned further than this (degrees of yaw, the detector's pose fit) is refused. */
  readonly maxYawDegrees: number;
}

/**
 * A face turned one way is mirrored onto a template's face turned the other only when their yaws
 * differ by more than this (degrees). Mirroring costs likeness (faces are not symmetric: a parting,
 * a lopsided smile; the recognition net measured 0.07–0.10 further from the user on three results
 * of 30–45° apart), while below it the warp turns the face without visible stretching; at 54°
 * apart the unmirrored face tore along the far jaw.
 */
const MIRROR_MIN_TURN = 45;
/** Blur scale of a colour cast, as a fraction of the eye distance (a cast changes over half a face; features are finer). */
const CAST_RADIUS = 0.15;
/** Coarse grid spacing of the Poisson solve, in output pixels (see seamless.ts). */
const CLONE_FACTOR = 4;

export function compositeFaceSwap(
  out: Raster, source: Raster, template: FaceSwapTemplate, art: Raster, scale: number,
  faces: readonly { readonly landmarks: readonly Point[]; readonly pose?: Pose }[], options: FaceSwapOptions,
): void {
  out.data.set(art.data);
  // Every face is checked before anything is drawn: a refused pose leaves no partial picture.
  // Yaw: the detector's pose fit (src/faces/pose.ts, what /v1/landmarks reports); the template's
  // slots are fitted by the same estimator from their 68 points.
  const plans = template.slots.map((slot, s) => {
    const face = faces[s % faces.length]!;
    const yaw = (face.pose ?? estimatePose(face.landmarks)).yaw;
    if (Math.abs(yaw) > options.maxYawDegrees) throw errors.facePoseUnsupported(options.maxYawDegrees);
    const templateYaw = estimatePose(slot.landmarks!).yaw;
    const templatePoints = extend(slot.landmarks!.map(([x, y]) => [x * scale, y * scale] as const));
    const mirror = yaw * templateYaw < 0 && Math.abs(yaw - templateYaw) > MIRROR_MIN_TURN;
    const user = extend(face.landmarks);
    const from = mirror ? mirrored(user) : user;
    return { templatePoints, from, dst: destination(templatePoints, from, options.shape, mirror), mirror };
  });
  for (const plan of plans) {
    const face = options.strength > 0 ? warpFace(out, source, template, plan.from, plan.dst) : null;
    try {
      // At full strength the Poisson blend replaces the inside of its boundary outright (it reads the
      // portrait only along the boundary): the template warp need not fill the pixels well inside,
      // except where the person's face is covered (hair, a hand), where the portrait shows.
      const skip = face && options.strength >= 1 && template.blend !== 'feather'
        ? avoiding(convexRowSpans(inset(face.hull, cloneInset(template, plan.dst) + CLONE_FACTOR + 4)), face.occluded, face.region) : undefined;
      if (options.shape > 0) moveTemplate(out, plan.templatePoints, plan.dst, skip);
      if (face) blendFace(out, template, face, options.strength);
    } finally {
      // The face, and where it is and where its hair is (the person's outline): zeroed.
      face?.warped.fill(0);
      face?.covered.fill(0);
      face?.occluded.fill(0);
    }
  }
}

/** `spans` shrunk, row by row, to the longest run with no `occluded` pixel of `region`. */
function avoiding(spans: RowSpans, occluded: Uint8Array, region: Region): RowSpans {
  for (let r = 0; r < spans.from.length; r++) {
    const y = spans.y + r - region.y;
    if (y < 0 || y >= region.height || !(spans.from[r]! <= spans.to[r]!)) continue;
    const x0 = Math.max(0, spans.from[r]! - region.x); const x1 = Math.min(region.width - 1, spans.to[r]! - region.x);
    let best = 0; let bestFrom = 1; let bestTo = 0; let run = x0;
    for (let x = x0; x <= x1 + 1; x++) {
      if (x <= x1 && !occluded[y * region.width + x]) continue;
      if (x - run > best) { best = x - run; bestFrom = run; bestTo = x - 1; }
      run = x + 1;
    }
    spans.from[r] = bestFrom + region.x; spans.to[r] = bestTo + region.x;
  }
  return spans;
}

/** How far inside the face's hull the Poisson blend's boundary lies (half the feather width). */
function cloneInset(template: FaceSwapTemplate, dst: readonly Point[]): number {
  const { leftEye, rightEye } = faceAnchors(dst);
  return Math.max(CLONE_FACTOR + 2, 0.5 * template.feather * distance(leftEye, rightEye));
}

/** Warps the picture in `out` around the face from `was` to `now` (out to a fixed ring). */
function moveTemplate(out: Raster, was: readonly Point[], now: readonly Point[], skip?: RowSpans): void {
  const ring = outerRing(was);
  const meshFrom = [...was, ...ring];
  const meshTo = [...now, ...ring];
  const region = regionAround(ring, 1, out.width, out.height);
  if (!region) return;
  // The warp reads a copy of the region (it may hold an earlier slot's face: zeroed after).
  const copy = new Uint8Array(region.width * region.height * 3);
  try {
    for (let row = 0; row < region.height; row++) {
      const from = ((region.y + row) * out.width + region.x) * 3;
      copy.set(out.data.subarray(from, from + region.width * 3), row * region.width * 3);
    }
    const snapshot: Raster = { data: copy, width: region.width, height: region.height, channels: 3 };
    const local = (p: Point): Point => [p[0] - region.x, p[1] - region.y];
    for (const [i, j, k] of delaunay(meshTo)) {
      if (i >= EXTENDED && j >= EXTENDED && k >= EXTENDED) continue; // ring only: nothing moves
      warpTriangle(snapshot, [local(meshFrom[i]!), local(meshFrom[j]!), local(meshFrom[k]!)],
        [meshTo[i]!, meshTo[j]!, meshTo[k]!], region, null, null, out, skip);
    }
  } finally {
    copy.fill(0);
  }
}

/** The person's face warped onto `dst`, in region-sized buffers (zeroed by the caller). */
interface WarpedFace {
  readonly region: Region;
  readonly hull: Point[];
  readonly dst: readonly Point[];
  readonly eyes: number;
  /** RGB floats; `covered` where defined; `occluded` where not the face's skin (occlusion.ts). */
  readonly warped: Float32Array;
  readonly covered: Uint8Array;
  readonly occluded: Uint8Array;
}

function warpFace(out: Raster, source: Raster, template: FaceSwapTemplate, from: readonly Point[], dst: readonly Point[]): WarpedFace | null {
  const hull = convexHull(dst);
  const region = regionAround(hull, CLONE_FACTOR + 3, out.width, out.height);
  if (!region) return null;
  const count = region.width * region.height;
  const { leftEye, rightEye } = faceAnchors(dst);
  const eyes = distance(leftEye, rightEye);
  // A working copy of the person's face: zeroed before the slot is done (the caller's finally).
  const warped = new Float32Array(count * 3);
  const covered = new Uint8Array(count);
  const occluded = new Uint8Array(count);
  try {
    for (const [i, j, k] of delaunay(dst)) {
      warpTriangle(source, [from[i]!, from[j]!, from[k]!], [dst[i]!, dst[j]!, dst[k]!], region, warped, covered);
    }
    flattenCast(warped, covered, region.width, region.height, CAST_RADIUS * eyes);
    if (template.blend !== 'feather') findOccluded(warped, covered, dst, region, eyes, occluded);
  } catch (error) {
    // Not handed to the caller: zeroed here.
    warped.fill(0); covered.fill(0); occluded.fill(0);
    throw error;
  }
  return { region, hull, dst, eyes, warped, covered, occluded };
}

function blendFace(out: Raster, template: FaceSwapTemplate, face: WarpedFace, strength: number): void {
  const { region, hull, dst, eyes, warped, covered, occluded } = face;
  const count = region.width * region.height;
  // Working copies of the canvas (an earlier slot may have drawn a face on it) and of the blend:
  // zeroed before the slot is done.
  const canvas = new Float32Array(count * 3);
  const blended = new Float32Array(count * 3);
  try {
    for (let row = 0; row < region.height; row++) {
      const at = ((region.y + row) * out.width + region.x) * 3;
      canvas.set(out.data.subarray(at, at + region.width * 3), row * region.width * 3);
    }
    let weight: Float32Array;
    if (template.blend === 'feather') {
      weight = featherBlend(template, hull, eyes, region, warped, canvas, covered, blended);
    } else {
      const inside = polygonMask(inset(hull, cloneInset(template, dst)), region);
      const edge = CLONE_FACTOR + 2;
      const mask = new Uint8Array(count);
      for (let row = edge; row < region.height - edge; row++) {
        for (let col = edge; col < region.width - edge; col++) {
          const p = row * region.width + col;
          if (inside[p] && covered[p] && !occluded[p]) mask[p] = 1;
        }
      }
      // The boundary as the smooth part of the blend sees it: skin where it crosses hair.
      const shift = new Float32Array(Math.ceil(region.width / CLONE_FACTOR) * Math.ceil(region.height / CLONE_FACTOR) * 3);
      try {
        fillBadBoundary(shift, canvas, warped, covered, mask, occluded, dst, region, eyes, CLONE_FACTOR);
        seamlessClone({ width: region.width, height: region.height, inside: mask, target: canvas, source: warped, covered, coarseShift: shift }, blended, { factor: CLONE_FACTOR });
      } finally {
        shift.fill(0);
      }
      weight = inside;
      for (let p = 0; p < count; p++) weight[p] = mask[p]!;
    }
    blendInto(out, region, weight, strength, canvas, blended);
  } finally {
    canvas.fill(0);
    blended.fill(0);
  }
}

/** out = canvas + (blended − canvas) × weight × strength over `region` (rounded, clamped). */
function blendInto(out: Raster, region: Region, weight: Float32Array, strength: number, canvas: Float32Array, blended: Float32Array): void {
  const od = out.data;
  for (let row = 0; row < region.height; row++) {
    const o = ((region.y + row) * out.width + region.x) * 3;
    for (let col = 0, p = row * region.width; col < region.width; col++, p++) {
      const m = weight[p]! * strength;
      if (m < 0.002) continue;
      const i = o + col * 3; const j = p * 3;
      const v0 = canvas[j]! + (blended[j]! - canvas[j]!) * m;
      const v1 = canvas[j + 1]! + (blended[j + 1]! - canvas[j + 1]!) * m;
      const v2 = canvas[j + 2]! + (blended[j + 2]! - canvas[j + 2]!) * m;
      od[i] = Math.round(v0 < 0 ? 0 : v0 > 255 ? 255 : v0);
      od[i + 1] = Math.round(v1 < 0 ? 0 : v1 > 255 ? 255 : v1);
      od[i + 2] = Math.round(v2 < 0 ? 0 : v2 > 255 ? 255 : v2);
    }
  }
}

/**
 * The earlier blend: the warped face's Lab mean and spread matched to the portrait's inside the
 * face, then a mask feathered over `template.feather` × the eye distance. Returns the mask.
 */
function featherBlend(
  template: FaceSwapTemplate, hull: readonly Point[], eyes: number, region: Region,
  warped: Float32Array, canvas: Float32Array, covered: Uint8Array, blended: Float32Array,
): Float32Array {
  const count = region.width * region.height;
  const radius = Math.max(1.5, template.feather * eyes);
  const mask = polygonMask(inset(hull, radius), region);
  feather(mask, region.width, region.height, radius);
  for (let p = 0; p < count; p++) mask[p]! *= covered[p]!;
  const faceLab = new Float32Array(count * 3);
  const portraitLab = new Float32Array(count * 3);
  try {
    rgbToLab(warped, faceLab, count, mask);
    rgbToLab(canvas, portraitLab, count, mask);
    transferLab(faceLab, count, labStats(faceLab, mask), labStats(portraitLab, mask), 1, mask);
    labToRgb(faceLab, blended, count, mask);
  } finally {
    faceLab.fill(0);
    portraitLab.fill(0);
  }
  return mask;
}

export type { Region };
