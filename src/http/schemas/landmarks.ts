import { z } from 'zod';
import { LANDMARK_PARTS, type LandmarkPart } from '../../faces/face.js';

/**
 * POST /v1/landmarks, as the OpenAPI document describes it and as the route validates it.
 * The multipart body carries the photo in the field "image" and no other fields.
 */
export const imageFile = z.file().describe('The photo: JPEG, PNG, WebP or AVIF, as a multipart file part.');

export const landmarksFields = z.strictObject({});

export const landmarksRequest = z.strictObject({ image: imageFile, ...landmarksFields.shape });

const point = z.tuple([z.number(), z.number()]).describe('[x, y] in pixels of the upright (EXIF-oriented) image.');

const parts = z.strictObject(
  Object.fromEntries(Object.entries(LANDMARK_PARTS).map(([name, [from, to]]) =>
    [name, z.array(point).length(to - from).describe(`Landmarks ${from}–${to - 1}.`)])) as Record<LandmarkPart, z.ZodArray<typeof point>>,
);

export const faceLandmarks = z.strictObject({
  box: z.strictObject({ x: z.number(), y: z.number(), width: z.number().positive(), height: z.number().positive() })
    .describe('Bounding box of the face in pixels of the upright image.'),
  score: z.number().min(0).max(1).describe('Detector confidence.'),
  landmarks: z.array(point).length(68).describe('The 68 iBUG points: jaw 0–16, brows 17–26, nose 27–35, eyes 36–47, mouth 48–67.'),
  parts: parts.describe('The same points grouped by feature.'),
  pose: z.strictObject({
    yaw: z.number().describe('Degrees; > 0: the face turns towards the image\'s right.'),
    pitch: z.number().describe('Degrees; > 0: the face tilts up (chin up).'),
    roll: z.number().describe('Degrees; > 0: the face tilts clockwise on screen.'),
  }).optional().describe('Head pose fitted from the landmarks to a generic 3D face; a mirrored photo flips yaw and roll.'),
  quality: z.strictObject({
    sharpness: z.number().min(0).max(100).describe('Laplacian contrast of the face at a fixed 64 × 64 sampling, 0–100.'),
    brightness: z.number().min(0).max(100).describe('Mean luma of the face box, 0 (black) to 100 (white).'),
    faceFraction: z.number().min(0).max(1).describe('Face box area over image area.'),
  }).optional().describe('Image quality of the face, measured on the detector\'s working copy.'),
  rotation: z.union([z.literal(90), z.literal(270)]).optional()
    .describe('Present when the face was found only in the photo turned clockwise by this many degrees (a sideways photo without EXIF orientation); box and landmarks stay in the upright image\'s pixels.'),
});

export const landmarksResponse = z.strictObject({
  width: z.int().positive().describe('Width of the upright image in pixels.'),
  height: z.int().positive().describe('Height of the upright image in pixels.'),
  faces: z.array(faceLandmarks).describe('Every face found, largest first.'),
});
