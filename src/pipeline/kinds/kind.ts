import type { z } from 'zod';
import type { DetectedFace } from '../../faces/face.js';
import type { Point } from '../../imaging/geometry.js';
import type { Raster } from '../../imaging/raster.js';
import type { WipeLedger } from '../../privacy/wipe-ledger.js';

/**
 * A template kind is one module: its template.json schema, how a template of the kind is
 * prepared at boot, and how a photo's faces are composited into it. Adding a kind is adding a
 * folder here and listing it in index.ts.
 */
export interface Kind<Definition extends { kind: string }, Prepared extends TemplateCommon> {
  readonly schema: z.ZodType<Definition>;
  prepare(definition: Definition, env: PrepareEnv): Promise<Prepared>;
  /** How many faces a template of the kind uses at most (overlays: every face). */
  maxFaces(template: Prepared): number;
  composite(input: CompositeInput<Prepared>): Promise<Raster>;
}

/** What every prepared template has, whatever its kind. */
export interface TemplateCommon {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly description: string;
  readonly license: string;
  readonly slots: readonly PreparedSlot[];
  /** Native size of the art or portrait. */
  readonly width: number;
  readonly height: number;
  /** The art at its native size. */
  readonly art: Raster;
  /** A small PNG of the template, for galleries. */
  readonly preview: Buffer;
}

export interface SlotAnchors { readonly leftEye: Point; readonly rightEye: Point; readonly mouth?: Point }

export interface PreparedSlot {
  /** In pixels of the template's native art. */
  readonly anchors: SlotAnchors;
  /** face-swap only: the portrait face's 68 points and their triangulation. */
  readonly landmarks?: readonly Point[];
  readonly triangles?: readonly (readonly [number, number, number])[];
}

export interface TemplateFace {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly landmarks: readonly Point[];
}

/** What preparing a template may use: its folder, named asset roots, and face detection as a plain function. */
export interface PrepareEnv {
  /** The template's folder (art is resolved inside it) and its template.json, for messages. */
  readonly dir: string;
  readonly file: string;
  readonly assetRoots: Readonly<Record<string, string>>;
  readonly detect: (pixels: Uint8Array, width: number, height: number) => Promise<readonly TemplateFace[]>;
}

export interface CompositeInput<T extends TemplateCommon> {
  readonly template: T;
  /** The photo: upright RGB at min(maxSize, original). Overlays draw on it in place. */
  readonly photo: Raster;
  /** The faces to use, largest first, already chosen (select-faces). */
  readonly faces: readonly DetectedFace[];
  /** strength and shape: 0–100; a face-swap face turned further than swapMaxYawDegrees is refused. */
  readonly params: { readonly strength: number; readonly shape: number; readonly maxSize: number; readonly swapMaxYawDegrees: number };
  /** The template's art with its long edge at `longEdge` (from the registry's bounded cache). */
  readonly artAt: (longEdge: number) => Promise<Raster>;
  /** What the kind derives from the template alone, kept in the same bounded cache (never photo data). */
  readonly derived: <T>(key: string, make: () => { value: T; bytes: number }) => Promise<T>;
  /** Registers output buffers that will hold the person's pixels. */
  readonly ledger: WipeLedger;
}

/** The long edge a scene-sized answer (face-in-hole, face-swap) has: the template's, never enlarged. */
export function sceneEdge(template: TemplateCommon, maxSize: number): number {
  return Math.min(maxSize, Math.max(template.width, template.height));
}

/** An RGB canvas of the art's size, tracked by the ledger (it will hold the person's face). */
export function sceneCanvas(art: Raster, ledger: WipeLedger): Raster {
  return { data: ledger.track(new Uint8Array(art.width * art.height * 3)), width: art.width, height: art.height, channels: 3 };
}
