/**
 * Messages between the pool (main thread) and a detect worker. Plain data only: pixels travel
 * as a transferred ArrayBuffer, faces come back as numbers.
 */
import type { DetectedFace } from './face.js';

export type BackendChoice = 'tensorflow' | 'wasm';

export interface WorkerSettings {
  readonly backend: BackendChoice;
  readonly modelDir: string;
  readonly minFaceScore: number;
  readonly maxFaces: number;
  /** BlazeFace gate + SSD at closeUpSsdSize for close-ups, rescue, roll and sideways retries (default on). */
  readonly cascade?: boolean;
  /** Second landmark pass on an upright crop for faces tilted > 10° (default on; off only for measurements). */
  readonly rollCorrection?: boolean;
  /** SSD input size for close-ups (default 256, as CLOSEUP_SSD_SIZE). */
  readonly closeUpSsdSize?: number;
}

export interface DetectRequest {
  readonly type: 'detect';
  readonly id: number;
  /** RGB, row-major; transferred, and zeroed by the worker once it is in a tensor. */
  readonly pixels: ArrayBuffer;
  readonly width: number;
  readonly height: number;
}

export interface BackendInfo {
  readonly backend: string;
  readonly tfjs: string;
  readonly faceApi: string;
  readonly simd: boolean;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly info: BackendInfo }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'result'; readonly id: number; readonly faces: DetectedFace[]; readonly ms: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
