import { join } from 'node:path';
import { z } from 'zod';
import { hexToRgb, previewOf, rasterise } from '../../templates/art.js';
import { anchorsSchema, base, fileName, hexColour } from '../../templates/schema.js';
import { sceneCanvas, sceneEdge, type Kind, type TemplateCommon } from '../kind.js';
import { artOverBackdrop, compositeFaceInHole } from './composite.js';

/** A scene with face openings: the face is aligned to each opening and drawn behind the art. */
export const faceInHoleSchema = z.object({
  ...base,
  kind: z.literal('face-in-hole'),
  /** A scene whose face openings are transparent. */
  art: fileName,
  size: z.object({ width: z.number().int().min(64).max(4096), height: z.number().int().min(64).max(4096) }).strict(),
  /** One slot per opening; the largest faces fill them in order. */
  slots: z.array(z.object({ anchors: anchorsSchema.required({ mouth: true }) }).strict()).min(1).max(4),
  /** Colour seen in an opening where the face does not reach. */
  backdrop: hexColour,
  /** Tone the face is pulled towards (the scene's light), and how far (0–1). */
  tone: z.object({ colour: hexColour, amount: z.number().min(0).max(1) }).strict(),
  /** How far above the brows the face outline reaches, as a fraction of brow-to-chin height. */
  forehead: z.number().min(0).max(1).default(0.35),
}).strict();

export type FaceInHoleDefinition = z.infer<typeof faceInHoleSchema>;
export interface FaceInHoleTemplate extends TemplateCommon {
  readonly kind: 'face-in-hole';
  readonly backdrop: readonly [number, number, number];
  readonly tone: { readonly rgb: readonly [number, number, number]; readonly amount: number };
  readonly forehead: number;
}

export const faceInHole: Kind<FaceInHoleDefinition, FaceInHoleTemplate> = {
  schema: faceInHoleSchema,
  async prepare(d, env) {
    const art = await rasterise(join(env.dir, d.art), d.size.width, d.size.height);
    return { id: d.id, name: d.name, description: d.description, license: d.license, kind: 'face-in-hole', art,
      slots: d.slots, width: art.width, height: art.height, backdrop: hexToRgb(d.backdrop),
      tone: { rgb: hexToRgb(d.tone.colour), amount: d.tone.amount }, forehead: d.forehead,
      preview: await previewOf(art, d.backdrop) };
  },
  maxFaces: (template) => template.slots.length,
  async composite({ template, photo, faces, params, artAt, derived, ledger }) {
    const art = await artAt(sceneEdge(template, params.maxSize));
    const flat = await derived(`over-backdrop@${art.width}`, () => {
      const value = artOverBackdrop(art, template.backdrop);
      return { value, bytes: value.byteLength };
    });
    const out = sceneCanvas(art, ledger);
    compositeFaceInHole(out, photo, template, art, flat, art.width / template.width, faces);
    return out;
  },
};
