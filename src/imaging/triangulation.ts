import type { Point } from './geometry.js';

export type Triangle = readonly [number, number, number];

/** Edge keys are u × EDGE_KEY + v: more than any point count here (with the three outer points). */
const EDGE_KEY = 1 << 16;

/**
 * Delaunay triangulation (Bowyer–Watson) of a small point set, as index triples into `points`.
 * Run once per face-swap slot at template load, on the template face's 68 landmarks; the same
 * index triples then pair the template face's triangles with the user face's.
 */
export function delaunay(points: readonly Point[]): Triangle[] {
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (const [x, y] of points) { minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y); }
  const span = Math.max(maxX - minX, maxY - minY, 1) * 20;
  const cx = (minX + maxX) / 2; const cy = (minY + maxY) / 2;
  const all: Point[] = [...points, [cx - span, cy - span], [cx + span, cy - span], [cx, cy + span]];
  const n = points.length;
  interface Tri { i: number; j: number; k: number; x: number; y: number; r2: number }
  const make = (i: number, j: number, k: number): Tri => {
    const [ax, ay] = all[i]!; const [bx, by] = all[j]!; const [qx, qy] = all[k]!;
    const d = 2 * (ax * (by - qy) + bx * (qy - ay) + qx * (ay - by));
    const a2 = ax * ax + ay * ay; const b2 = bx * bx + by * by; const c2 = qx * qx + qy * qy;
    const x = (a2 * (by - qy) + b2 * (qy - ay) + c2 * (ay - by)) / d;
    const y = (a2 * (qx - bx) + b2 * (ax - qx) + c2 * (bx - ax)) / d;
    return { i, j, k, x, y, r2: (ax - x) ** 2 + (ay - y) ** 2 };
  };
  let tris: Tri[] = [make(n, n + 1, n + 2)];
  for (let p = 0; p < n; p++) {
    const [px, py] = all[p]!;
    const bad: Tri[] = []; const keep: Tri[] = [];
    for (const t of tris) ((px - t.x) ** 2 + (py - t.y) ** 2 < t.r2 * (1 + 1e-12) ? bad : keep).push(t);
    // The cavity's boundary: edges of exactly one bad triangle, keyed by their sorted ends
    // (a number, not a string: this runs per point, twice per face-swap slot per request).
    const edges = new Map<number, number>();
    const edge = (u: number, v: number): void => {
      const key = u < v ? u * EDGE_KEY + v : v * EDGE_KEY + u;
      if (edges.has(key)) edges.delete(key); else edges.set(key, u * EDGE_KEY + v);
    };
    for (const t of bad) { edge(t.i, t.j); edge(t.j, t.k); edge(t.k, t.i); }
    tris = keep;
    for (const uv of edges.values()) tris.push(make(Math.floor(uv / EDGE_KEY), uv % EDGE_KEY, p));
  }
  return tris.filter((t) => t.i < n && t.j < n && t.k < n).map((t) => [t.i, t.j, t.k] as const);
}
