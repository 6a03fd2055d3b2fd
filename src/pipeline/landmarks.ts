import type { DetectedFace, LandmarkPart, Point } from '../faces/face.js';
import { LANDMARK_PARTS } from '../faces/face.js';
import type { Pose } from '../faces/pose.js';
import type { FaceQuality } from '../faces/quality.js';
import type { DecodeLimits } from '../imaging/decode.js';
import type { ImageContext } from './image-context.js';
import { produced, runSteps, type RunContext, type StageObserver } from './run.js';
import { decode } from './steps/decode.js';
import { detect, type FaceDetector } from './steps/detect.js';

/** POST /v1/landmarks, step by step: each step is one file in steps/. */
export const LANDMARK_STEPS = [decode, detect] as const;

export interface LandmarksDeps {
  readonly limits: DecodeLimits;
  readonly detectMaxSide: number;
  readonly detector: FaceDetector;
  readonly observer?: StageObserver;
}

export interface FaceLandmarks {
  readonly box: { x: number; y: number; width: number; height: number };
  readonly score: number;
  readonly landmarks: readonly Point[];
  readonly parts: Record<LandmarkPart, readonly Point[]>;
  readonly pose?: Pose;
  readonly quality?: FaceQuality;
  readonly rotation?: 90 | 270;
}

/** The body of a 200 from /v1/landmarks: pixels of the upright image, largest face first. */
export interface LandmarksResult {
  readonly width: number;
  readonly height: number;
  readonly faces: readonly FaceLandmarks[];
}

const round = (v: number): number => Math.round(v * 10) / 10;

export function toFaceLandmarks(face: DetectedFace): FaceLandmarks {
  const landmarks = face.landmarks.map(([x, y]) => [round(x), round(y)] as const);
  const parts = Object.fromEntries(
    Object.entries(LANDMARK_PARTS).map(([name, [from, to]]) => [name, landmarks.slice(from, to)]),
  ) as unknown as Record<LandmarkPart, readonly Point[]>;
  const { box } = face;
  return {
    box: { x: round(box.x), y: round(box.y), width: round(box.width), height: round(box.height) },
    score: Math.round(face.score * 1000) / 1000,
    landmarks,
    parts,
    ...(face.pose ? { pose: face.pose } : {}),
    ...(face.quality ? { quality: face.quality } : {}),
    ...(face.rotation ? { rotation: face.rotation } : {}),
  };
}

export async function runLandmarks(input: Uint8Array, deps: LandmarksDeps, run: RunContext): Promise<LandmarksResult> {
  const ctx: ImageContext = { ...run, input, limits: deps.limits, detectMaxSide: deps.detectMaxSide, detector: deps.detector };
  await runSteps(ctx, LANDMARK_STEPS, deps.observer);
  const { width, height } = produced(ctx.inspected, 'inspected', 'decode');
  return { width, height, faces: produced(ctx.faces, 'faces', 'detect').map(toFaceLandmarks) };
}
