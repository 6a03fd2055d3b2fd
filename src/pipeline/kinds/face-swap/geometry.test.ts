import { describe, expect, it } from 'vitest';
import type { Point } from '../../../imaging/geometry.js';
import { estimatePose, projectGenericFace } from '../../../faces/pose.js';
import { MIRROR } from './geometry.js';

describe('MIRROR', () => {
  it('is an involution that swaps left and right and keeps the midline', () => {
    for (let i = 0; i < 68; i++) expect(MIRROR[MIRROR[i]!]).toBe(i);
    const fixed = MIRROR.flatMap((j, i) => (i === j ? [i] : []));
    expect(fixed).toEqual([8, 27, 28, 29, 30, 33, 51, 57, 62, 66]);
    expect([MIRROR[36], MIRROR[0], MIRROR[17], MIRROR[48], MIRROR[60]]).toEqual([45, 16, 26, 54, 64]);
  });
});

describe('mirroring and the pose estimate', () => {
  it('a face reflected and renumbered by MIRROR has the opposite yaw (the swap mirrors on its sign)', () => {
    const seen = projectGenericFace({ yaw: 25, pitch: -5, roll: 8 }, 2, [200, 200]);
    const face: Point[] = Array.from({ length: 68 }, (_, i) => seen.get(i) ?? [200, 200]);
    const reflected = face.map((_, i) => [400 - face[MIRROR[i]!]![0], face[MIRROR[i]!]![1]] as const);
    expect(estimatePose(face).yaw).toBeCloseTo(25, 0);
    expect(estimatePose(reflected).yaw).toBeCloseTo(-25, 0);
  });
});
