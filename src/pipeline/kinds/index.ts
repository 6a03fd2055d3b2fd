import { z } from 'zod';
import { faceInHole, faceInHoleSchema, type FaceInHoleTemplate } from './face-in-hole/kind.js';
import { faceSwap, faceSwapSchema, type FaceSwapTemplate } from './face-swap/kind.js';
import type { Kind, TemplateCommon } from './kind.js';
import { overlay, overlaySchema, type OverlayTemplate } from './overlay/kind.js';

/** Every template kind, by the `kind` its template.json names. */
export const KINDS = { overlay, 'face-in-hole': faceInHole, 'face-swap': faceSwap } as const;

/** The schema of any template.json: one of the kinds' schemas, chosen by `kind`. */
export const templateSchema = z.discriminatedUnion('kind', [overlaySchema, faceInHoleSchema, faceSwapSchema]);
export type TemplateDefinition = z.infer<typeof templateSchema>;
export type TemplateKind = TemplateDefinition['kind'];
export type Template = OverlayTemplate | FaceInHoleTemplate | FaceSwapTemplate;
export type { FaceInHoleTemplate, FaceSwapTemplate, OverlayTemplate };

/** The module of a template's kind, typed loosely: each kind only ever sees its own templates. */
export function kindOf(kind: TemplateKind): Kind<TemplateDefinition, Template> {
  return KINDS[kind] as unknown as Kind<TemplateDefinition, Template>;
}

export type { TemplateCommon };
