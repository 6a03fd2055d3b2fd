import type { DetectedFace, LandmarkPart, Point } from '../faces/face.js';
import { LANDMARK_PARTS } from '../faces/face.js';
import type { Pose } from '../faces/pose.js';
import type { FaceQuality } from '../faces/quality.js';
import { decodeToMaxSide, inspect, type DecodeLimits } from '../imaging/decode.js';
import { detectFaces, type FaceDetector } from './detect.js';
import { runSteps, type RunContext, type StageObserver } from './run.js';

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

interface LandmarksContext extends RunContext {
  readonly input: Uint8Array;
  width: number;
  height: number;
  faces: DetectedFace[];
}

export async function runLandmarks(input: Uint8Array, deps: LandmarksDeps, run: RunContext): Promise<LandmarksResult> {
  const ctx: LandmarksContext = { ...run, input, width: 0, height: 0, faces: [] };
  let decoded: Awaited<ReturnType<typeof decodeToMaxSide>> | undefined;
  await runSteps(ctx, [
    {
      name: 'decode',
      run: async (c) => {
        const header = inspect(c.input, deps.limits);
        c.width = header.width;
        c.height = header.height;
        decoded = await decodeToMaxSide(c.input, deps.detectMaxSide, deps.limits, c.ledger);
      },
    },
    {
      name: 'detect',
      run: async (c) => {
        c.faces = await detectFaces(decoded!, { width: c.width, height: c.height }, deps.detector, c);
      },
    },
  ], deps.observer);
  return { width: ctx.width, height: ctx.height, faces: ctx.faces.map(toFaceLandmarks) };
}
