/**
 * Placement maths on plain numbers: 2×3 affine matrices, least-squares similarity transforms
 * from point pairs, and the named points of the 68-point layout that templates anchor to.
 */
export type Point = readonly [number, number];

/** x' = a·x + b·y + c,  y' = d·x + e·y + f */
export interface Affine {
  readonly a: number; readonly b: number; readonly c: number;
  readonly d: number; readonly e: number; readonly f: number;
}

export function apply(m: Affine, [x, y]: Point): Point {
  return [m.a * x + m.b * y + m.c, m.d * x + m.e * y + m.f];
}

export function invert(m: Affine): Affine {
  const det = m.a * m.e - m.b * m.d;
  if (Math.abs(det) < 1e-12) throw new Error('affine transform is not invertible');
  const a = m.e / det;
  const b = -m.b / det;
  const d = -m.d / det;
  const e = m.a / det;
  return { a, b, c: -(a * m.c + b * m.f), d, e, f: -(d * m.c + e * m.f) };
}

export function scaled(m: Affine, s: number): Affine {
  return { a: m.a * s, b: m.b * s, c: m.c * s, d: m.d * s, e: m.e * s, f: m.f * s };
}

/**
 * The similarity (rotation, uniform scale, translation; no reflection) that best maps `from`
 * onto `to` in the least-squares sense. With two points it is exact.
 * In complex numbers: to = s·from + t, s = Σ(t_i − t̄)·conj(f_i − f̄) / Σ|f_i − f̄|².
 */
export function similarity(from: readonly Point[], to: readonly Point[]): Affine {
  if (from.length !== to.length || from.length < 2) throw new Error('similarity needs two or more point pairs');
  const n = from.length;
  let fx = 0; let fy = 0; let tx = 0; let ty = 0;
  for (let i = 0; i < n; i++) { fx += from[i]![0]; fy += from[i]![1]; tx += to[i]![0]; ty += to[i]![1]; }
  fx /= n; fy /= n; tx /= n; ty /= n;
  let re = 0; let im = 0; let norm = 0;
  for (let i = 0; i < n; i++) {
    const ux = from[i]![0] - fx; const uy = from[i]![1] - fy;
    const vx = to[i]![0] - tx; const vy = to[i]![1] - ty;
    re += vx * ux + vy * uy;
    im += vy * ux - vx * uy;
    norm += ux * ux + uy * uy;
  }
  if (norm < 1e-9) throw new Error('similarity: source points coincide');
  const sr = re / norm; const si = im / norm;
  return { a: sr, b: -si, c: tx - (sr * fx - si * fy), d: si, e: sr, f: ty - (si * fx + sr * fy) };
}

/** The affine map taking triangle (p0,p1,p2) onto (q0,q1,q2); null when degenerate. */
export function triangleAffine(p: readonly [Point, Point, Point], q: readonly [Point, Point, Point]): Affine | null {
  const [[x0, y0], [x1, y1], [x2, y2]] = p;
  const det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  if (Math.abs(det) < 1e-9) return null;
  const solve = (v0: number, v1: number, v2: number): [number, number, number] => {
    const a = ((v1 - v0) * (y2 - y0) - (v2 - v0) * (y1 - y0)) / det;
    const b = ((x1 - x0) * (v2 - v0) - (x2 - x0) * (v1 - v0)) / det;
    return [a, b, v0 - a * x0 - b * y0];
  };
  const [a, b, c] = solve(q[0][0], q[1][0], q[2][0]);
  const [d, e, f] = solve(q[0][1], q[1][1], q[2][1]);
  return { a, b, c, d, e, f };
}

function mean(points: readonly Point[], from: number, to: number): Point {
  let x = 0; let y = 0;
  for (let i = from; i < to; i++) { x += points[i]![0]; y += points[i]![1]; }
  return [x / (to - from), y / (to - from)];
}

/** Eye centres (image-left first) and mouth centre of a 68-point face. */
export function faceAnchors(landmarks: readonly Point[]): { leftEye: Point; rightEye: Point; mouth: Point } {
  return { leftEye: mean(landmarks, 36, 42), rightEye: mean(landmarks, 42, 48), mouth: mean(landmarks, 48, 68) };
}

export function distance(p: Point, q: Point): number {
  return Math.hypot(p[0] - q[0], p[1] - q[1]);
}

/** Convex hull (Andrew's monotone chain), counter-clockwise in image coordinates. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Point[]): Point[] => {
    const out: Point[] = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2]!, out[out.length - 1]!, p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

/** Moves every vertex `by` pixels towards the polygon's centroid (a cheap inset for face-like shapes). */
export function inset(polygon: readonly Point[], by: number): Point[] {
  const [cx, cy] = mean(polygon, 0, polygon.length);
  return polygon.map(([x, y]) => {
    const len = Math.hypot(x - cx, y - cy);
    const k = len > by ? (len - by) / len : 0;
    return [cx + (x - cx) * k, cy + (y - cy) * k] as const;
  });
}

/**
 * The face outline used by face-in-hole: the jaw (0–16) and the brows (26…17) lifted by
 * `forehead` × brow-to-chin height, away from the chin, so the forehead is included.
 */
export function faceOutline(landmarks: readonly Point[], forehead: number): Point[] {
  const chin = landmarks[8]!;
  const browMid = mean(landmarks, 17, 27);
  const ux = browMid[0] - chin[0]; const uy = browMid[1] - chin[1];
  const jaw = landmarks.slice(0, 17);
  const brows: Point[] = [];
  for (let i = 26; i >= 17; i--) {
    const [x, y] = landmarks[i]!;
    brows.push([x + ux * forehead, y + uy * forehead]);
  }
  return [...jaw, ...brows];
}
