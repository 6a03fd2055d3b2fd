import { byAreaDescending, scaleFace, type DetectedFace } from '../../faces/face.js';
import type { Raster } from '../../imaging/raster.js';
import type { ImageContext } from '../image-context.js';
import { produced, type Step } from '../run.js';

/** What the pipeline needs of the faces module: the worker pool satisfies it. */
export interface FaceDetector {
  detect(job: {
    pixels: Uint8Array; width: number; height: number; deadline: number; signal?: AbortSignal;
  }): Promise<DetectedFace[]>;
}

/**
 * Runs detection on the detector's copy (its pixels are transferred to a worker and are gone from
 * this thread afterwards) and maps the faces to the photo's pixels (effects) or to the upright
 * upload's (landmarks), largest first.
 */
export const detect: Step<ImageContext> = {
  name: 'detect',
  async run(c) {
    const target = c.photo ?? produced(c.inspected, 'inspected', 'decode');
    c.faces = await detectFaces(produced(c.detectorCopy, 'detectorCopy', 'decode'), target, c.detector, c);
  },
};

export async function detectFaces(
  image: Raster, target: { width: number; height: number }, detector: FaceDetector,
  run: { deadline: number; signal: AbortSignal },
): Promise<DetectedFace[]> {
  const faces = await detector.detect({
    pixels: image.data, width: image.width, height: image.height, deadline: run.deadline, signal: run.signal,
  });
  const sx = target.width / image.width;
  const sy = target.height / image.height;
  return faces.map((f) => scaleFace(f, sx, sy)).sort(byAreaDescending);
}
