/**
 * Accuracy maths shared by test/accuracy.test.ts and the benchmark: faces are matched to the
 * reference by box IoU, and landmark error is normalised by the inter-ocular distance (between
 * the eye centres, each the mean of its six points: 36–41 and 42–47).
 */
export interface Box { x: number; y: number; width: number; height: number }
export interface FaceLike { box: Box; landmarks: readonly (readonly [number, number])[] }

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

function centre(points: readonly (readonly [number, number])[], from: number, to: number): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    const p = points[i]!;
    x += p[0];
    y += p[1];
  }
  return [x / (to - from), y / (to - from)];
}

export function interOcular(landmarks: readonly (readonly [number, number])[]): number {
  const [lx, ly] = centre(landmarks, 36, 42);
  const [rx, ry] = centre(landmarks, 42, 48);
  return Math.hypot(rx - lx, ry - ly);
}

/** Mean point-to-point distance over the 68 points, divided by the reference's inter-ocular distance. */
export function normalisedError(face: FaceLike, reference: FaceLike): number {
  let sum = 0;
  for (let i = 0; i < 68; i++) {
    const [x, y] = face.landmarks[i]!;
    const [rx, ry] = reference.landmarks[i]!;
    sum += Math.hypot(x - rx, y - ry);
  }
  return sum / 68 / interOcular(reference.landmarks);
}

export interface FaceComparison {
  readonly referenceWidth: number;
  /** Best IoU with any of the service's faces (0 when none overlaps). */
  readonly iou: number;
  /** Normalised landmark error against the best-matching face, when IoU ≥ minIou. */
  readonly error?: number;
}

export function compareFaces(found: readonly FaceLike[], reference: readonly FaceLike[], minIou = 0.5): FaceComparison[] {
  return reference.map((ref) => {
    let best: FaceLike | undefined;
    let bestIou = 0;
    for (const face of found) {
      const value = iou(face.box, ref.box);
      if (value > bestIou) {
        bestIou = value;
        best = face;
      }
    }
    return {
      referenceWidth: ref.box.width,
      iou: bestIou,
      ...(best && bestIou >= minIou ? { error: normalisedError(best, ref) } : {}),
    };
  });
}

/**
 * The normalised landmark error of the face in `found` that lies nearest the reference (by
 * landmark centroid), or undefined when none lies within one inter-ocular distance of it.
 */
export function nearestError(found: readonly FaceLike[], reference: FaceLike): number | undefined {
  const [rx, ry] = centre(reference.landmarks, 0, 68);
  const iod = interOcular(reference.landmarks);
  let best: number | undefined;
  for (const face of found) {
    const [x, y] = centre(face.landmarks, 0, 68);
    if (Math.hypot(x - rx, y - ry) > iod) continue;
    const error = normalisedError(face, reference);
    if (best === undefined || error < best) best = error;
  }
  return best;
}
