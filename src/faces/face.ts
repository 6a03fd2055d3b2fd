import type { Point } from '../imaging/geometry.js';
import type { Pose } from './pose.js';
import type { FaceQuality } from './quality.js';

export type { Point };

/** A face as the detector reports it: plain numbers, in the pixel space of the image it saw. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface DetectedFace {
  readonly box: Box;
  readonly score: number;
  /** The 68 iBUG landmarks: jaw 0–16, brows 17–26, nose 27–35, eyes 36–47, mouth 48–67. */
  readonly landmarks: readonly Point[];
  /** Head pose fitted from the landmarks (src/faces/pose.ts: degrees, signs documented there). */
  readonly pose?: Pose;
  /** Sharpness, brightness and size of the face in the detector's copy (src/faces/quality.ts). */
  readonly quality?: FaceQuality;
  /**
   * Set when the face was found only after turning the image clockwise by this many degrees
   * (a sideways photo without EXIF orientation); box and landmarks are still in the image's own pixels.
   */
  readonly rotation?: 90 | 270;
}

/** Index ranges of the 68-point layout (end exclusive), named as face-api names them. */
export const LANDMARK_PARTS = {
  jaw: [0, 17],
  leftEyebrow: [17, 22],
  rightEyebrow: [22, 27],
  nose: [27, 36],
  leftEye: [36, 42],
  rightEye: [42, 48],
  mouth: [48, 68],
} as const satisfies Record<string, readonly [number, number]>;

export type LandmarkPart = keyof typeof LANDMARK_PARTS;

/** Maps a face from the detector's working image back to the upright original's pixels. */
export function scaleFace(face: DetectedFace, sx: number, sy: number): DetectedFace {
  return {
    ...face,
    box: { x: face.box.x * sx, y: face.box.y * sy, width: face.box.width * sx, height: face.box.height * sy },
    landmarks: face.landmarks.map(([x, y]) => [x * sx, y * sy] as const),
  };
}

/** Largest box first; ties keep detector order. */
export function byAreaDescending(a: DetectedFace, b: DetectedFace): number {
  return b.box.width * b.box.height - a.box.width * a.box.height;
}
