import { describe, expect, it } from 'vitest';
import type { Point } from '../../../imaging/geometry.js';
import { MIRROR, yawDegrees } from './face-pose.js';

/** A crude frontal 68-point face (only the points yaw reads matter), its nose tip shifted by `nose`. */
function face(nose: number): Point[] {
  const points: Point[] = Array.from({ length: 68 }, () => [60, 60] as const);
  for (let i = 0; i <= 16; i++) points[i] = [20 + 5 * i, 50 + 40 * Math.sin((i / 16) * Math.PI)];
  for (let i = 36; i < 42; i++) points[i] = [35 + (i - 36) * 2, 50];
  for (let i = 42; i < 48; i++) points[i] = [75 + (i - 42) * 2, 50];
  points[30] = [60 + nose, 70];
  return points;
}

describe('yawDegrees and MIRROR', () => {
  it('is 0 for a frontal face, positive with the nose towards the image right, about asin of the asymmetry', () => {
    expect(yawDegrees(face(0))).toBeCloseTo(0, 6);
    expect(yawDegrees(face(20))).toBeGreaterThan(0);
    // a = 60, b = 20 → ρ = 0.5 → 30°.
    expect(yawDegrees(face(20))).toBeCloseTo(30, 1);
    expect(yawDegrees(face(-20))).toBeCloseTo(-30, 1);
  });

  it('a mirrored face (reflected, points renumbered by MIRROR) has the opposite yaw', () => {
    const f = face(14);
    const mirrored = f.map((_, i) => [200 - f[MIRROR[i]!]![0], f[MIRROR[i]!]![1]] as const);
    expect(yawDegrees(mirrored)).toBeCloseTo(-yawDegrees(f), 6);
  });

  it('MIRROR is an involution that swaps left and right and keeps the midline', () => {
    for (let i = 0; i < 68; i++) expect(MIRROR[MIRROR[i]!]).toBe(i);
    const fixed = MIRROR.flatMap((j, i) => (i === j ? [i] : []));
    expect(fixed).toEqual([8, 27, 28, 29, 30, 33, 51, 57, 62, 66]);
    expect([MIRROR[36], MIRROR[0], MIRROR[17], MIRROR[48], MIRROR[60]]).toEqual([45, 16, 26, 54, 64]);
  });
});
