import type { FaceDetector } from '../pipeline/steps/detect.js';
import type { TemplateRegistry } from '../pipeline/templates/registry.js';

/** What the HTTP layer reads of the running service; main.ts owns and updates it. */
export interface ServiceState {
  phase: 'starting' | 'ready' | 'stopping';
  detector?: FaceDetector;
  templates?: TemplateRegistry;
  backend?: { backend: string; tfjs: string; faceApi: string; simd: boolean };
}
