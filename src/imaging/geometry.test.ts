import { describe, expect, it } from 'vitest';
import { apply, convexHull, faceOutline, invert, similarity, triangleAffine, type Point } from './geometry.js';
import { delaunay } from './triangulation.js';

const close = (p: Point, q: Point, eps = 1e-6) => {
  expect(p[0]).toBeCloseTo(q[0], 5);
  expect(Math.abs(p[1] - q[1])).toBeLessThan(eps + 1e-5);
};

describe('placement maths', () => {
  it('similarity from two point pairs is exact: rotation, scale and translation', () => {
    const m = similarity([[0, 0], [10, 0]], [[5, 5], [5, 25]]);
    close(apply(m, [0, 0]), [5, 5]);
    close(apply(m, [10, 0]), [5, 25]);
    close(apply(m, [0, 10]), [-15, 5]);
    close(apply(invert(m), [5, 25]), [10, 0]);
  });

  it('similarity from three noisy pairs is the least-squares fit (no reflection)', () => {
    const truth = similarity([[0, 0], [1, 0]], [[100, 50], [100 + 2 * Math.cos(0.3), 50 + 2 * Math.sin(0.3)]]);
    const from: Point[] = [[10, 10], [30, 10], [20, 35]];
    const to = from.map((p) => apply(truth, p));
    const fit = similarity(from, to);
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f'] as const) expect(fit[k]).toBeCloseTo(truth[k], 6);
    expect(fit.a * fit.e - fit.b * fit.d).toBeGreaterThan(0);
  });

  it('triangleAffine maps the three corners exactly and refuses degenerate triangles', () => {
    const m = triangleAffine([[0, 0], [4, 0], [0, 3]], [[1, 1], [9, 2], [0, 7]])!;
    close(apply(m, [4, 0]), [9, 2]);
    close(apply(m, [0, 3]), [0, 7]);
    expect(triangleAffine([[0, 0], [1, 1], [2, 2]], [[0, 0], [1, 0], [0, 1]])).toBeNull();
  });

  it('Delaunay triangles of a face-like point set tile its convex hull exactly', () => {
    // 68 points: a jittered ellipse outline plus inner points (a stand-in for the landmark layout).
    const points: Point[] = Array.from({ length: 68 }, (_, i) => {
      const t = (i / 68) * Math.PI * 2;
      const r = i % 3 === 0 ? 1 : 0.3 + (i % 7) / 10;
      return [100 + 80 * r * Math.cos(t * 7) + (i % 5), 120 + 100 * r * Math.sin(t * 7) + (i % 3)];
    });
    const area = (p: readonly Point[]) => Math.abs(p.reduce((s, [x, y], i) => {
      const [nx, ny] = p[(i + 1) % p.length]!;
      return s + x * ny - nx * y;
    }, 0)) / 2;
    const tris = delaunay(points);
    const total = tris.reduce((s, [i, j, k]) => s + area([points[i]!, points[j]!, points[k]!]), 0);
    expect(total).toBeCloseTo(area(convexHull(points)), 3);
    expect(tris.length).toBeGreaterThan(100);
  });

  it('faceOutline lifts the brows away from the chin', () => {
    const landmarks: Point[] = Array.from({ length: 68 }, (_, i) => [i, i < 17 ? 100 : 40] as const);
    landmarks[8] = [8, 140];
    const outline = faceOutline(landmarks, 0.5);
    expect(outline).toHaveLength(27);
    expect(outline[17]![1]).toBeCloseTo(40 - 0.5 * 100, 6);
  });
});
