import sharp from 'sharp';
import type { DetectedFace } from '../faces/face.js';
import type { WipeLedger } from '../privacy/wipe-ledger.js';
import type { Template, TemplateRegistry } from './templates/registry.js';
import { compositeFaceInHole } from './kinds/face-in-hole.js';
import { compositeFaceSwap } from './kinds/face-swap.js';
import { compositeOverlay } from './kinds/overlay.js';
import type { Raster } from '../imaging/raster.js';
import { decodeToMaxSide, inspect, type DecodedImage, type DecodeLimits } from '../imaging/decode.js';
import { detectFaces, type FaceDetector } from './detect.js';
import { encodeImage, type OutputFormat } from '../imaging/encode.js';
import { runSteps, type RunContext, type StageObserver } from './run.js';
import { selectFaces, type FaceChoice } from './select-faces.js';

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
  readonly templates: TemplateRegistry;
  readonly observer?: StageObserver;
}

export interface EffectResult {
  readonly image: Buffer;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly facesUsed: number;
}

interface EffectContext extends RunContext {
  source?: DecodedImage;
  working?: DecodedImage;
  uploadWidth: number;
  faces: DetectedFace[];
  output?: Raster;
  image?: Buffer;
}

/** A copy of `image` no larger than `maxSide`, in an owned ArrayBuffer (it is transferred to a worker). */
async function workingCopy(image: DecodedImage, maxSide: number, ledger: WipeLedger): Promise<DecodedImage> {
  if (Math.max(image.width, image.height) <= maxSide) {
    const pixels = ledger.track(new Uint8Array(new ArrayBuffer(image.pixels.length)));
    pixels.set(image.pixels);
    return { ...image, pixels };
  }
  const { data, info } = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(maxSide, maxSide, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
  ledger.track(data);
  const pixels = ledger.track(new Uint8Array(new ArrayBuffer(data.length)));
  pixels.set(data);
  data.fill(0);
  return { pixels, width: info.width, height: info.height, channels: 3 };
}

/** Ordered steps of POST /v1/effects/{id}: decode → detect → composite → encode. */
export async function runEffect(
  input: Uint8Array, template: Template, params: EffectParams, deps: EffectDeps, run: RunContext,
): Promise<EffectResult> {
  const ctx: EffectContext = { ...run, uploadWidth: 0, faces: [] };
  await runSteps(ctx, [
    {
      name: 'decode',
      run: async (c) => {
        c.uploadWidth = inspect(input, deps.limits).width;
        c.source = await decodeToMaxSide(input, params.maxSize, deps.limits, c.ledger);
        c.working = await workingCopy(c.source, deps.detectMaxSide, c.ledger);
      },
    },
    {
      name: 'detect',
      run: async (c) => {
        const found = await detectFaces(c.working!, c.source!, deps.detector, c);
        c.faces = selectFaces(found, params.face, {
          minFacePx: deps.minFacePx,
          scale: c.uploadWidth / c.source!.width,
          limit: template.kind === 'overlay' ? Number.POSITIVE_INFINITY : template.slots.length,
        });
      },
    },
    {
      name: 'composite',
      run: async (c) => {
        const source: Raster = { data: c.source!.pixels, width: c.source!.width, height: c.source!.height, channels: 3 };
        if (template.kind === 'overlay') {
          await compositeOverlay(source, template, c.faces, (edge) => deps.templates.artAt(template, edge));
          c.output = source;
          return;
        }
        const edge = Math.min(params.maxSize, Math.max(template.width, template.height));
        const art = await deps.templates.artAt(template, edge);
        const out: Raster = { data: c.ledger.track(new Uint8Array(art.width * art.height * 3)), width: art.width, height: art.height, channels: 3 };
        const scale = art.width / template.width;
        if (template.kind === 'face-in-hole') compositeFaceInHole(out, source, template, art, scale, c.faces);
        else compositeFaceSwap(out, source, template, art, scale, c.faces,
          { strength: params.strength / 100, shape: params.shape / 100, maxYawDegrees: deps.swapMaxYawDegrees });
        c.output = out;
      },
    },
    {
      name: 'encode',
      run: async (c) => { c.image = await encodeImage(c.output!, params.format, params.quality, c.ledger); },
    },
  ], deps.observer);
  const facesUsed = template.kind === 'overlay' ? ctx.faces.length : Math.min(ctx.faces.length, template.slots.length);
  return { image: ctx.image!, format: params.format, width: ctx.output!.width, height: ctx.output!.height, facesUsed };
}
