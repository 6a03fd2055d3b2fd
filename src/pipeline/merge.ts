import { errors, isAppError } from '../errors.js';
import type { DetectedFace } from '../faces/face.js';
import { faceAnchors } from '../imaging/geometry.js';
import { delaunay } from '../imaging/triangulation.js';
import { runEffect, type EffectDeps, type EffectParams, type EffectResult } from './effect.js';
import type { ImageContext } from './image-context.js';
import type { FaceSwapTemplate } from './kinds/index.js';
import { produced, runSteps, type RunContext } from './run.js';
import { decode } from './steps/decode.js';
import { detect } from './steps/detect.js';
import { selectFaces, type FaceChoice } from './steps/select-faces.js';
import type { TemplateArt } from './templates/registry.js';

/**
 * POST /v1/merge (Face++ MergeFace's model): the person's face swapped into a portrait the caller
 * brings, with nothing registered. The portrait goes through the same decode and detect steps
 * as any upload (same header checks, memory budget, ledger); its faces become the slots of a
 * face-swap template made for this request alone; then the effect's own step list runs with it.
 */
export const MERGE_PORTRAIT_STEPS = [decode, detect] as const;

/** Slots a portrait may fill at most (as a face-swap template.json may declare). */
export const MAX_MERGE_SLOTS = 4;

export interface MergeParams extends EffectParams {
  /** One face of the portrait to replace (0 = largest); all of them (up to MAX_MERGE_SLOTS) when undefined. */
  readonly templateFace?: number;
}

export async function runMerge(
  person: Uint8Array, portrait: Uint8Array, params: MergeParams, deps: Omit<EffectDeps, 'templates'>, run: RunContext,
): Promise<EffectResult> {
  const ctx: ImageContext = {
    ...run, input: portrait, limits: deps.limits, detectMaxSide: deps.detectMaxSide, photoMaxSide: params.maxSize, detector: deps.detector,
  };
  await runSteps(ctx, MERGE_PORTRAIT_STEPS, deps.observer);
  const template = portraitTemplate(ctx, params.templateFace ?? 'all', deps.minFacePx);
  return runEffect(person, template, params, { ...deps, templates: ownArt(template) }, run);
}

/** A face-swap template made of the request's portrait (ledger-tracked pixels) and its faces. */
function portraitTemplate(ctx: ImageContext, choice: FaceChoice, minFacePx: number): FaceSwapTemplate {
  const art = produced(ctx.photo, 'photo', 'decode');
  let faces: DetectedFace[];
  try {
    faces = selectFaces(produced(ctx.faces, 'faces', 'detect'), choice, {
      minFacePx, scale: produced(ctx.inspected, 'inspected', 'decode').width / art.width, limit: MAX_MERGE_SLOTS,
    });
  } catch (error) {
    // The same refusals as for the person's photo, said of the portrait.
    if (isAppError(error) && error.code === 'no_face_detected') throw errors.noFaceDetected(`In the template portrait: ${error.detail}`);
    if (isAppError(error) && error.code === 'face_too_small') throw errors.faceTooSmall(minFacePx, 'the template portrait');
    throw error;
  }
  return {
    id: 'merge', kind: 'face-swap', name: 'Your portrait', description: 'The portrait sent with the request.', license: 'the caller\'s',
    art, width: art.width, height: art.height, preview: Buffer.alloc(0), feather: 0.25, blend: 'poisson',
    slots: faces.map((f) => ({ anchors: faceAnchors(f.landmarks), landmarks: f.landmarks, triangles: delaunay(f.landmarks) })),
  };
}

/** The portrait is the art at its own size; nothing derived from it is cached (it is user data). */
function ownArt(template: FaceSwapTemplate): TemplateArt {
  return {
    artAt: async () => template.art,
    derived: async (_template, _key, make) => make().value,
  };
}
