import type { Point } from '../../../imaging/geometry.js';

/**
 * Yaw of a face from the asymmetry of its 68 points, for face swap only. A stand-in: the selfie
 * work adds a pose estimate to src/faces/; when it lands, face swap should use that instead.
 *
 * Along the eye axis, the nose tip (30) sits between the jaw's ends (0 and 16); turning the head
 * moves it towards one end. ρ = (a − b) / (a + b), a and b the nose tip's distances to the two
 * ends, is about sin(yaw) for a head whose jaw ends lie as far behind the nose as they are wide
 * (close for adult faces); it saturates at ±1 when the far jaw hides behind the nose.
 * Positive: the nose points to the image's right.
 */
export function yawDegrees(landmarks: readonly Point[]): number {
  const l = landmarks;
  let lx = 0; let ly = 0; let rx = 0; let ry = 0;
  for (let i = 36; i < 42; i++) { lx += l[i]![0]; ly += l[i]![1]; }
  for (let i = 42; i < 48; i++) { rx += l[i]![0]; ry += l[i]![1]; }
  const ux = rx - lx; const uy = ry - ly;
  const len = Math.hypot(ux, uy) || 1;
  const along = (p: Point): number => (p[0] * ux + p[1] * uy) / len;
  const nose = along(l[30]!);
  const a = nose - along(l[0]!); const b = along(l[16]!) - nose;
  if (a + b <= 1e-6) return 0;
  const rho = Math.max(-1, Math.min(1, (a - b) / (a + b)));
  return (Math.asin(rho) * 180) / Math.PI;
}

/** The 68-point layout's left–right pairs: point i of a mirrored face is point MIRROR[i] of the face. */
export const MIRROR: readonly number[] = (() => {
  const m = Array.from({ length: 68 }, (_, i) => i);
  const pair = (a: number, b: number): void => { m[a] = b; m[b] = a; };
  for (let i = 0; i < 8; i++) pair(i, 16 - i);
  for (let i = 0; i < 5; i++) pair(17 + i, 26 - i);
  pair(31, 35); pair(32, 34);
  pair(36, 45); pair(37, 44); pair(38, 43); pair(39, 42); pair(40, 47); pair(41, 46);
  pair(48, 54); pair(49, 53); pair(50, 52); pair(55, 59); pair(56, 58);
  pair(60, 64); pair(61, 63); pair(65, 67);
  return m;
})();
