import { describe, expect, it } from 'vitest';
import type { Point } from './face.js';
import { estimatePose, projectGenericFace, type Pose } from './pose.js';

/** 68 points with the generic face's landmarks where it has them (the others are ignored by the fit). */
function landmarks(pose: Pose, scale = 2, at: Point = [300, 200]): Point[] {
  const known = projectGenericFace(pose, scale, at);
  return Array.from({ length: 68 }, (_, i) => known.get(i) ?? [0, 0]);
}

const mirror = (points: readonly Point[], width: number): Point[] => {
  // A mirrored photo: x flips, and the landmark net numbers points by image side, so left and right swap.
  const flipped = points.map(([x, y]): Point => [width - x, y]);
  const swap: Record<number, number> = {
    17: 26, 19: 24, 21: 22, 31: 35, 36: 45, 39: 42, 48: 54,
  };
  const out = [...flipped];
  for (const [a, b] of Object.entries(swap)) {
    out[Number(a)] = flipped[b]!;
    out[b] = flipped[Number(a)]!;
  }
  return out;
};

const rotate = (points: readonly Point[], degrees: number, [cx, cy]: Point): Point[] => {
  const a = (degrees * Math.PI) / 180;
  return points.map(([x, y]): Point => [cx + (x - cx) * Math.cos(a) - (y - cy) * Math.sin(a), cy + (x - cx) * Math.sin(a) + (y - cy) * Math.cos(a)]);
};

describe('estimatePose', () => {
  it.each<Pose>([
    { yaw: 0, pitch: 0, roll: 0 },
    { yaw: 30, pitch: 0, roll: 0 },
    { yaw: -25, pitch: 10, roll: 5 },
    { yaw: 10, pitch: -20, roll: -15 },
    { yaw: 0, pitch: 0, roll: 35 },
    { yaw: -40, pitch: 15, roll: -35 },
  ])('recovers %o from the generic face seen at that pose', (pose) => {
    const found = estimatePose(landmarks(pose));
    expect(found.yaw).toBeCloseTo(pose.yaw, 0);
    expect(found.pitch).toBeCloseTo(pose.pitch, 0);
    expect(found.roll).toBeCloseTo(pose.roll, 0);
  });

  it('has the documented signs: yaw > 0 moves the nose right, pitch > 0 moves it up, roll > 0 turns the eye line clockwise', () => {
    const front = landmarks({ yaw: 0, pitch: 0, roll: 0 });
    const eyes = (p: Point[]): Point => [(p[36]![0] + p[45]![0]) / 2, (p[36]![1] + p[45]![1]) / 2];
    const yawed = landmarks({ yaw: 20, pitch: 0, roll: 0 });
    expect(yawed[30]![0] - eyes(yawed)[0]).toBeGreaterThan(front[30]![0] - eyes(front)[0]);
    const pitched = landmarks({ yaw: 0, pitch: 20, roll: 0 });
    expect(pitched[30]![1] - eyes(pitched)[1]).toBeLessThan(front[30]![1] - eyes(front)[1]);
    const rolled = landmarks({ yaw: 0, pitch: 0, roll: 20 });
    expect(rolled[45]![1]).toBeGreaterThan(rolled[36]![1]);
  });

  it('reads rotated images: rotating the points by θ adds θ to roll and keeps yaw and pitch', () => {
    const base = landmarks({ yaw: 15, pitch: -10, roll: 5 });
    for (const theta of [-35, -15, 15, 35]) {
      const found = estimatePose(rotate(base, theta, [300, 200]));
      expect(found.roll).toBeCloseTo(5 + theta, 0);
      expect(found.yaw).toBeCloseTo(15, 0);
      expect(found.pitch).toBeCloseTo(-10, 0);
    }
  });

  it('reads mirrored images: yaw and roll flip, pitch stays', () => {
    const base = landmarks({ yaw: 25, pitch: 12, roll: -18 });
    const found = estimatePose(mirror(base, 640));
    expect(found.yaw).toBeCloseTo(-25, 0);
    expect(found.roll).toBeCloseTo(18, 0);
    expect(found.pitch).toBeCloseTo(12, 0);
  });

  it('does not depend on the face\'s size or place in the image', () => {
    const pose = { yaw: -12, pitch: 8, roll: 22 };
    expect(estimatePose(landmarks(pose, 0.4, [40, 50]))).toEqual(estimatePose(landmarks(pose, 7, [900, 1200])));
  });
});
