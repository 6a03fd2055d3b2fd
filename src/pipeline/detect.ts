import { byAreaDescending, scaleFace, type DetectedFace } from '../faces/face.js';
import type { DecodedImage } from '../imaging/decode.js';
import type { RunContext } from './run.js';

/** What the pipeline needs of the faces module: the worker pool satisfies it. */
export interface FaceDetector {
  detect(job: {
    pixels: Uint8Array; width: number; height: number; deadline: number; signal?: AbortSignal;
  }): Promise<DetectedFace[]>;
}

/**
 * Runs detection on the working-size copy (its pixels are transferred to a worker and are gone
 * from this thread afterwards) and maps the faces back to `target` pixels, largest first.
 */
export async function detectFaces(
  image: DecodedImage, target: { width: number; height: number }, detector: FaceDetector, ctx: RunContext,
): Promise<DetectedFace[]> {
  const faces = await detector.detect({
    pixels: image.pixels, width: image.width, height: image.height, deadline: ctx.deadline, signal: ctx.signal,
  });
  const sx = target.width / image.width;
  const sy = target.height / image.height;
  return faces.map((f) => scaleFace(f, sx, sy)).sort(byAreaDescending);
}
