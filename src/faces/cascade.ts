import type { GateFace } from './blazeface.js';
import type { Box, Point } from './face.js';

/**
 * The pure geometry of the detection cascade (face-model.ts runs the nets):
 * - which images are close-ups (BlazeFace gate → SSD at a smaller size),
 * - which gate faces SSD missed (rescued onto an SSD-shaped box),
 * - SSD-shaped boxes from landmarks, for the upright re-run of a tilted face,
 * - the quarter turns tried when nothing is found.
 * Boxes and points here are in pixels of the square working image of side `side`.
 */

/** A close-up face is at least this fraction of the image side, by the gate's box. */
export const CLOSE_UP_MIN_FRACTION = 0.2;
/** ...with at least this gate score. */
export const CLOSE_UP_MIN_SCORE = 0.8;
/** Gate candidates at or above this score count as faces for the close-up rule (so small faces veto it). */
export const GATE_CANDIDATE_SCORE = 0.3;
/** Gate faces at or above this score that SSD did not find are rescued... */
export const RESCUE_MIN_SCORE = 0.8;
/**
 * ...and large ones (CLOSE_UP_MIN_FRACTION of the side) from this score, but only once confirmed on
 * a crop made around the gate's box (the gate again, GATE_RECHECK_ZOOM; then SSD, VERIFY_CROPS):
 * below RESCUE_MIN_SCORE the gate alone also fires on clothes and backgrounds (a plaid shirt at
 * 0.655, a tile of sample2 at 0.705).
 */
export const RESCUE_LARGE_MIN_SCORE = 0.6;
/**
 * The first confirmation: the gate runs again on a square of this many gate widths around the
 * gate's centre (VERIFY_CROPS' first zoom), turned upright by the gate's eye line, at its own
 * 128 px input, and must be sure of a face at the crop's centre there: RESCUE_MIN_SCORE, the
 * sureness that rescues a face outright, so no threshold of its own. Measured in-process on the
 * 199 selfie crops of test/accuracy.test.ts and 1138 face-free crops of the samples (1136 tiles
 * of 250–900 px, the plaid shirt of test/corpus.ts, a wall), with the gate's score on this crop:
 * the 15 weak large gate faces on face-free crops scored at most 0.759; the 20 real ones 0.696–0.877,
 * 12 of them ≥ 0.8, among them sample2's face 2 rolled −35° (0.817), a face in full profile that
 * SSD never confirms (at most 0.25 at its centre on VERIFY_CROPS). The others SSD confirms.
 */
export const GATE_RECHECK_ZOOM = 1.6;
/** SSD input size for the verification crops (its anchors regenerate per size, like the close-up size). */
export const VERIFY_SSD_SIZE = 256;
/** SSD's score on a verification crop, at the gate face's centre, that confirms it (measured: face-free tiles of the samples ≤ 0.23). */
export const VERIFY_MIN_SCORE = 0.3;
/**
 * The verification crops, tried in turn until one confirms: a square of `zoom` gate widths around
 * the gate's centre (SSD misses faces that fill the frame, so the face is shown smaller), turned
 * upright by the gate's eye line or not.
 */
export const VERIFY_CROPS: readonly { readonly zoom: number; readonly upright: boolean }[] = [
  { zoom: 1.6, upright: true },
  { zoom: 1.6, upright: false },
  { zoom: 4, upright: false },
];
/** The sideways retry takes a quarter turn only when the gate is sure there and surer than on the photo as it is, by this much. */
export const TURN_MARGIN = 0.15;
/** A landmark eye line tilted more than this (degrees) gets a second, upright landmark pass. */
export const ROLL_CORRECTION_DEG = 10;
/** ...and a third when the upright pass's own eye line differs from the first estimate by more than this. */
export const ROLL_RECHECK_DEG = 3;
/**
 * ...on a crop sized by the upright pass's points when their SSD-shaped box is at least this fraction
 * of the gate's calibrated box, and by the gate's box otherwise (points squeezed together size a
 * crop of part of the face). Measured on the 199 selfie crops of test/accuracy.test.ts: where the
 * recheck ran, the points' box was 1.03–1.61 of the gate's, except on three faces the net read
 * badly: 0.93 and 0.94 (errors 0.88 and 0.63 with the points' crop, 0.63 and 0.60 with the gate's),
 * and 0.75 for sample2's face 2 rolled −35°, in full profile, whose points the points' crop
 * squeezed onto one eye (1.05 eye distances from the reference's; 0.6 with the gate's crop).
 */
export const ROLL_RECHECK_MIN_SPAN = 1;
/** When the landmarks' eye line and the gate's eyes differ by more than this, the gate's tilt is used. */
export const ROLL_DISAGREE_DEG = 20;

/**
 * A close-up: the gate found at least one face, and every candidate it found (down to
 * GATE_CANDIDATE_SCORE, so that a weakly seen small background face counts) is large and sure.
 * A photo with small faces besides a big one therefore stays on the full-size route.
 */
export function isCloseUp(gate: readonly GateFace[]): boolean {
  return gate.length > 0 && gate.every((g) => g.score >= CLOSE_UP_MIN_SCORE && g.width >= CLOSE_UP_MIN_FRACTION);
}

/**
 * The gate's box reshaped to SSD's box for the same face, measured on the 13 matched faces of
 * the six samples at 512 px (SSD box vs gate box, in gate widths: centre +(−0.016, −0.132),
 * size 0.705 × 1.021). The landmark net's output follows the box, so boxes fed to it must look
 * like SSD's.
 */
export function calibratedGateBox(g: GateFace, side: number): Box {
  const w = g.width * side;
  const cx = (g.x + g.width / 2) * side - 0.016 * w;
  const cy = (g.y + g.height / 2) * side - 0.132 * w;
  const width = 0.705 * w;
  const height = 1.021 * w;
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

/** A face the gate sees at CLOSE_UP_MIN_FRACTION of the side or more. */
export function isLarge(g: GateFace): boolean {
  return g.width >= CLOSE_UP_MIN_FRACTION;
}

function contains(box: Box, [x, y]: Point): boolean {
  return x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
}

/** A gate face SSD missed, on the gate's calibrated box. */
export interface MissedFace { readonly box: Box; readonly score: number; readonly gate: GateFace }

/**
 * Gate faces whose centre lies in no SSD box (and in no other face before it here): SSD missed them.
 * One scored below RESCUE_MIN_SCORE is kept only when `confirmed` says so (an SSD pass on a
 * VERIFY_CROPS crop); a dropped one does not hide the faces after it.
 */
export async function missedByDetector(
  gate: readonly GateFace[], found: readonly Box[], side: number, confirmed: (g: GateFace) => Promise<boolean>,
): Promise<MissedFace[]> {
  const rescued: MissedFace[] = [];
  for (const g of gate) {
    if (g.score < (isLarge(g) ? RESCUE_LARGE_MIN_SCORE : RESCUE_MIN_SCORE)) continue;
    const centre: Point = [(g.x + g.width / 2) * side, (g.y + g.height / 2) * side];
    if (found.some((b) => contains(b, centre)) || rescued.some((r) => contains(r.box, centre))) continue;
    if (g.score < RESCUE_MIN_SCORE && !(await confirmed(g))) continue;
    rescued.push({ box: calibratedGateBox(g, side), score: g.score, gate: g });
  }
  return rescued;
}

/** The square verification crop of a gate face: `zoom` gate widths on a side, turned by the gate's eye line when `upright`. */
export function verificationBox(g: GateFace, side: number, zoom: number, upright: boolean): UprightBox {
  const width = g.width * side * zoom;
  return { centre: [(g.x + g.width / 2) * side, (g.y + g.height / 2) * side], width, height: width, roll: upright ? gateEyeDegrees(g) : 0 };
}

function centre(points: readonly Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / (to - from), y / (to - from)];
}

/** Angle of the eye line in degrees, clockwise on screen (y down): image-left eye (36–41) to image-right eye (42–47). */
export function eyeLineDegrees(landmarks: readonly Point[]): number {
  const [lx, ly] = centre(landmarks, 36, 42);
  const [rx, ry] = centre(landmarks, 42, 48);
  return (Math.atan2(ry - ly, rx - lx) * 180) / Math.PI;
}

export function rotatePoint([x, y]: Point, [cx, cy]: Point, degrees: number): Point {
  const a = (degrees * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const dx = x - cx;
  const dy = y - cy;
  return [cx + dx * c - dy * s, cy + dx * s + dy * c];
}

/**
 * The SSD-shaped box of a face in the frame where its landmarks are upright, from the landmarks'
 * bounding box (measured on the 22 sample faces: SSD box vs landmark box, in landmark-box widths:
 * centre +(0.019, −0.158), size 0.942 × 1.378; spread 0.03–0.1).
 */
export function ssdBoxFromLandmarks(upright: readonly Point[]): Box {
  const xs = upright.map((p) => p[0]);
  const ys = upright.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const w = Math.max(...xs) - x0;
  const h = Math.max(...ys) - y0;
  const cx = x0 + w / 2 + 0.019 * w;
  const cy = y0 + h / 2 - 0.158 * w;
  const width = 0.942 * w;
  const height = 1.378 * w;
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

export type QuarterTurn = 0 | 90 | 180 | 270;

/**
 * A point of the square image turned `turn` degrees clockwise, back in the unturned image.
 * (Clockwise 90: the turned image's (u, v) is the original's (v, side − u).)
 */
export function unturnPoint([u, v]: Point, turn: QuarterTurn, side: number): Point {
  switch (turn) {
    case 0: return [u, v];
    case 90: return [v, side - u];
    case 180: return [side - u, side - v];
    case 270: return [side - v, u];
  }
}

export function unturnBox(b: Box, turn: QuarterTurn, side: number): Box {
  const a = unturnPoint([b.x, b.y], turn, side);
  const c = unturnPoint([b.x + b.width, b.y + b.height], turn, side);
  return { x: Math.min(a[0], c[0]), y: Math.min(a[1], c[1]), width: Math.abs(c[0] - a[0]), height: Math.abs(c[1] - a[1]) };
}

/** The gate's face whose centre lies in `box` (pixels), the surest first. */
export function gateFaceIn(gate: readonly GateFace[], box: Box, side: number): GateFace | undefined {
  return gate.find((g) => contains(box, [(g.x + g.width / 2) * side, (g.y + g.height / 2) * side]));
}

/** The gate's eye line in degrees, clockwise on screen (its first eye is the image-left one on an upright face). */
export function gateEyeDegrees(g: GateFace): number {
  const [[lx, ly], [rx, ry]] = g.eyes;
  return (Math.atan2(ry - ly, rx - lx) * 180) / Math.PI;
}

/** a − b folded into (−180, 180]. */
export function angleDifference(a: number, b: number): number {
  const d = (((a - b) % 360) + 360) % 360;
  return d > 180 ? d - 360 : d;
}

/** An SSD-shaped box of a face in its own upright frame: centre in image pixels, size, and the face's roll. */
export interface UprightBox {
  readonly centre: Point;
  readonly width: number;
  readonly height: number;
  readonly roll: number;
}

/** The upright SSD-shaped box around landmarks seen with tilt `roll`. */
export function uprightLandmarkBox(landmarks: readonly Point[], roll: number): UprightBox {
  const n = landmarks.length;
  const pivot: Point = [landmarks.reduce((s, p) => s + p[0], 0) / n, landmarks.reduce((s, p) => s + p[1], 0) / n];
  const box = ssdBoxFromLandmarks(landmarks.map((p) => rotatePoint(p, pivot, -roll)));
  return { centre: rotatePoint([box.x + box.width / 2, box.y + box.height / 2], pivot, roll), width: box.width, height: box.height, roll };
}

/** The gate's calibrated box for a face tilted by `roll`: the calibration's centre offset turns with the face. */
export function uprightGateBox(g: GateFace, side: number, roll: number): UprightBox {
  const gateCentre: Point = [(g.x + g.width / 2) * side, (g.y + g.height / 2) * side];
  const box = calibratedGateBox(g, side);
  const centre = rotatePoint([box.x + box.width / 2, box.y + box.height / 2], gateCentre, roll);
  return { centre, width: box.width, height: box.height, roll };
}
