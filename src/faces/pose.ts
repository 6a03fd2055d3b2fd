import type { Point } from './face.js';

/**
 * Head pose from the 68 landmarks: a scaled-orthographic fit of a generic 3D face to the 2D
 * points, then Euler angles. Degrees; image axes x right, y down; the face's own axes are its
 * left-to-right (as seen by the camera), top-to-bottom, and into-the-head.
 *   - yaw > 0: the face turns towards the image's right (the nose tip moves right);
 *   - pitch > 0: the face tilts up (chin up, the nose tip moves up);
 *   - roll > 0: the face tilts clockwise on screen (the eye line runs down to the right).
 * A mirrored image flips the signs of yaw and roll, and keeps pitch. 0/0/0 is the generic face
 * seen straight on; real frontal faces read within a few degrees of it.
 *
 * The generic face is this module's own (an average-proportioned head, millimetres, nose tip at
 * the origin, z into the head), on the 21 landmarks that are stable under pose: brows, eye
 * corners, nose, mouth corners and lips, chin. The jaw contour is left out: it follows the
 * silhouette, not fixed points of the head.
 */
export interface Pose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

type Vec3 = readonly [number, number, number];

/** Landmark index → point of the generic face (x right, y down, z into the head; mm). */
export const GENERIC_FACE: ReadonlyMap<number, Vec3> = new Map<number, Vec3>([
  [8, [0, 75, 28]], // chin
  [17, [-50, -52, 38]], [19, [-32, -64, 24]], [21, [-10, -58, 20]], // brow (image left)
  [22, [10, -58, 20]], [24, [32, -64, 24]], [26, [50, -52, 38]], // brow (image right)
  [27, [0, -48, 18]], // nasion
  [30, [0, 0, 0]], // nose tip
  [31, [-13, 8, 14]], [33, [0, 10, 10]], [35, [13, 8, 14]], // nostrils, subnasale
  [36, [-45, -40, 34]], [39, [-15, -40, 26]], [42, [15, -40, 26]], [45, [45, -40, 34]], // eye corners
  [48, [-25, 30, 24]], [51, [0, 23, 14]], [54, [25, 30, 24]], [57, [0, 40, 18]], // mouth
  [62, [0, 30, 17]], // inner lip
]);

type Mat3 = [Vec3, Vec3, Vec3];

/** R = Rz(roll) · Rx(−pitch) · Ry(−yaw): model point → camera frame (x right, y down, z away). */
export function rotationMatrix({ yaw, pitch, roll }: Pose): Mat3 {
  const r = (d: number): number => (d * Math.PI) / 180;
  const [cz, sz] = [Math.cos(r(roll)), Math.sin(r(roll))];
  const [cx, sx] = [Math.cos(r(-pitch)), Math.sin(r(-pitch))];
  const [cy, sy] = [Math.cos(r(-yaw)), Math.sin(r(-yaw))];
  // Rx·Ry
  const a: Mat3 = [[cy, 0, sy], [sx * sy, cx, -sx * cy], [-cx * sy, sx, cx * cy]];
  return [
    [cz * a[0][0] - sz * a[1][0], cz * a[0][1] - sz * a[1][1], cz * a[0][2] - sz * a[1][2]],
    [sz * a[0][0] + cz * a[1][0], sz * a[0][1] + cz * a[1][1], sz * a[0][2] + cz * a[1][2]],
    a[2],
  ];
}

/** The generic face's landmarks seen with `pose` (orthographic, `scale` px per mm, nose tip at `at`): for tests. */
export function projectGenericFace(pose: Pose, scale: number, at: Point): Map<number, Point> {
  const m = rotationMatrix(pose);
  const out = new Map<number, Point>();
  for (const [i, [x, y, z]] of GENERIC_FACE) {
    out.set(i, [at[0] + scale * (m[0][0] * x + m[0][1] * y + m[0][2] * z), at[1] + scale * (m[1][0] * x + m[1][1] * y + m[1][2] * z)]);
  }
  return out;
}

const deg = (r: number): number => (r * 180) / Math.PI;
const round1 = (v: number): number => Math.round(v * 10) / 10;

function solve3(m: number[][], b: number[]): [number, number, number] {
  // Cramer's rule on a symmetric 3 × 3 system (the model's covariance: well conditioned).
  const det = (a: number[][]): number =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!)
    - a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!)
    + a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  const col = (k: number): number[][] => m.map((row, i) => row.map((v, j) => (j === k ? b[i]! : v)));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}

function normalise(v: Vec3): Vec3 {
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/**
 * Pose of a face from its 68 landmarks (pixels of any image: scale and translation drop out).
 * Least squares for the 2 × 3 linear map from the centred generic face to the centred points,
 * then its rows made orthonormal (the nearest rotation's first two rows) and completed by their
 * cross product.
 */
export function estimatePose(landmarks: readonly Point[]): Pose {
  const ids = [...GENERIC_FACE.keys()];
  const model = ids.map((i) => GENERIC_FACE.get(i)!);
  const image = ids.map((i) => landmarks[i]!);
  const n = ids.length;
  const mm = [0, 1, 2].map((k) => model.reduce((s, p) => s + p[k]!, 0) / n);
  const im = [0, 1].map((k) => image.reduce((s, p) => s + p[k]!, 0) / n);
  const X = model.map((p) => [p[0] - mm[0]!, p[1] - mm[1]!, p[2] - mm[2]!]);
  const Y = image.map((p) => [p[0] - im[0]!, p[1] - im[1]!]);
  const cov = [0, 1, 2].map((a) => [0, 1, 2].map((b) => X.reduce((s, x) => s + x[a]! * x[b]!, 0)));
  const rows = [0, 1].map((k) => solve3(cov, [0, 1, 2].map((a) => X.reduce((s, x, i) => s + x[a]! * Y[i]![k]!, 0))));
  // Symmetric orthonormalisation of the two rows: split the angle error between them.
  let r1 = normalise(rows[0]!);
  let r2 = normalise(rows[1]!);
  const sum = normalise([r1[0] + r2[0], r1[1] + r2[1], r1[2] + r2[2]]);
  const diff = normalise([r1[0] - r2[0], r1[1] - r2[1], r1[2] - r2[2]]);
  const h = Math.SQRT1_2;
  r1 = [h * (sum[0] + diff[0]), h * (sum[1] + diff[1]), h * (sum[2] + diff[2])];
  r2 = [h * (sum[0] - diff[0]), h * (sum[1] - diff[1]), h * (sum[2] - diff[2])];
  const r3: Vec3 = [r1[1] * r2[2] - r1[2] * r2[1], r1[2] * r2[0] - r1[0] * r2[2], r1[0] * r2[1] - r1[1] * r2[0]];
  // R = Rz(roll)·Rx(a)·Ry(b) with a = −pitch, b = −yaw: the third row is Rx·Ry's, [−cos a sin b, sin a, cos a cos b].
  const a = Math.asin(Math.max(-1, Math.min(1, r3[1])));
  const b = Math.atan2(-r3[0], r3[2]);
  const roll = Math.atan2(-r1[1], r2[1]);
  return { yaw: round1(-deg(b)), pitch: round1(-deg(a)), roll: round1(deg(roll)) };
}
