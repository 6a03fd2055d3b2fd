import type { DecodeLimits } from '../imaging/decode.js';
import type { OutputFormat } from '../imaging/encode.js';
import type { Raster } from '../imaging/raster.js';
import type { ImageContext } from './image-context.js';
import { kindOf, type Template } from './kinds/index.js';
import { produced, runSteps, type RunContext, type StageObserver } from './run.js';
import { composite } from './steps/composite.js';
import { decode } from './steps/decode.js';
import { detect, type FaceDetector } from './steps/detect.js';
import { encode } from './steps/encode.js';
import { chooseFaces, type FaceChoice } from './steps/select-faces.js';
import type { TemplateArt } from './templates/registry.js';

/** POST /v1/effects/{id}, step by step: each step is one file in steps/. */
export const EFFECT_STEPS = [decode, detect, chooseFaces, composite, encode] as const;

export interface EffectParams {
  readonly format: OutputFormat;
  readonly quality: number;
  /** 0–100: share of the user's face in a face swap. */
  readonly strength: number;
  /** 0–100: how far a face swap moves the template's face geometry towards the user's. */
  readonly shape: number;
  readonly face: FaceChoice;
  /** Long edge of the output. */
  readonly maxSize: number;
}

export interface EffectDeps {
  readonly limits: DecodeLimits;
  readonly detectMaxSide: number;
  readonly detector: FaceDetector;
  readonly minFacePx: number;
  /** Face swap: a face turned further than this (degrees of yaw) is refused. */
  readonly swapMaxYawDegrees: number;
  readonly templates: TemplateArt;
  readonly observer?: StageObserver;
}

export interface EffectResult {
  readonly image: Buffer;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly facesUsed: number;
}

export interface EffectContext extends ImageContext {
  readonly template: Template;
  readonly params: EffectParams;
  readonly minFacePx: number;
  readonly swapMaxYawDegrees: number;
  readonly templates: TemplateArt;
  /** composite: the picture. */
  output?: Raster;
  /** encode: the answer's bytes. */
  encoded?: Buffer;
}

export async function runEffect(
  input: Uint8Array, template: Template, params: EffectParams, deps: EffectDeps, run: RunContext,
): Promise<EffectResult> {
  const ctx: EffectContext = {
    ...run, input, template, params,
    limits: deps.limits, detectMaxSide: deps.detectMaxSide, photoMaxSide: params.maxSize, detector: deps.detector,
    minFacePx: deps.minFacePx, swapMaxYawDegrees: deps.swapMaxYawDegrees, templates: deps.templates,
  };
  await runSteps(ctx, EFFECT_STEPS, deps.observer);
  const output = produced(ctx.output, 'output', 'composite');
  const faces = produced(ctx.faces, 'faces', 'select-faces');
  return {
    image: produced(ctx.encoded, 'encoded', 'encode'),
    format: params.format,
    width: output.width,
    height: output.height,
    facesUsed: Math.min(faces.length, kindOf(template.kind).maxFaces(template)),
  };
}
