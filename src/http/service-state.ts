import type { FaceDetector } from '../pipeline/detect.js';

/** What the HTTP layer reads of the running service; main.ts owns and updates it. */
export interface ServiceState {
  phase: 'starting' | 'ready' | 'stopping';
  detector?: FaceDetector;
  backend?: { backend: string; tfjs: string; faceApi: string; simd: boolean };
}
