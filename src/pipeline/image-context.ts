import type { DetectedFace } from '../faces/face.js';
import type { DecodeLimits, InspectedImage } from '../imaging/decode.js';
import type { Raster } from '../imaging/raster.js';
import type { RunContext } from './run.js';
import type { FaceDetector } from './steps/detect.js';

/**
 * What the image steps share. The request sets the inputs; each later field is set by the step
 * named beside it, and read through `produced()` by the steps after it.
 */
export interface ImageContext extends RunContext {
  readonly input: Uint8Array;
  readonly limits: DecodeLimits;
  /** Long edge of the detector's copy (DETECT_MAX_SIDE). */
  readonly detectMaxSide: number;
  /** Long edge of the photo an effect is drawn on; undefined when no photo is needed (landmarks). */
  readonly photoMaxSide?: number;
  readonly detector: FaceDetector;
  /** decode: the upload's header, read once. */
  inspected?: InspectedImage;
  /** decode: the copy the detector sees, made from the upload at its own size. */
  detectorCopy?: Raster;
  /** decode: the photo at min(photoMaxSide, original) (effects only). */
  photo?: Raster;
  /** detect: every face found, largest first, in pixels of `photo` (or of the upright upload). */
  faces?: DetectedFace[];
}
