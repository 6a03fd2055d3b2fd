import { join } from 'node:path';
import { z } from 'zod';
import { previewOf, rasterise } from '../../templates/art.js';
import { anchorsSchema, base, fileName } from '../../templates/schema.js';
import type { Kind, TemplateCommon } from '../kind.js';
import { compositeOverlay } from './composite.js';

/** Art anchored to the eye centres of every chosen face, drawn on the photo itself. */
export const overlaySchema = z.object({
  ...base,
  kind: z.literal('overlay'),
  /** The art drawn on every chosen face; `anchors` are where the face's eye centres go in it. */
  art: fileName,
  size: z.object({ width: z.number().int().min(16).max(2048), height: z.number().int().min(16).max(2048) }).strict(),
  slots: z.tuple([z.object({ anchors: anchorsSchema }).strict()]),
  /** 0–1: how opaque the art is drawn. */
  opacity: z.number().min(0).max(1).default(1),
}).strict();

export type OverlayDefinition = z.infer<typeof overlaySchema>;
export interface OverlayTemplate extends TemplateCommon { readonly kind: 'overlay'; readonly opacity: number }

export const overlay: Kind<OverlayDefinition, OverlayTemplate> = {
  schema: overlaySchema,
  async prepare(d, env) {
    const art = await rasterise(join(env.dir, d.art), d.size.width, d.size.height);
    return { id: d.id, name: d.name, description: d.description, license: d.license, kind: 'overlay', art, opacity: d.opacity,
      slots: d.slots, width: art.width, height: art.height, preview: await previewOf(art, '#e9e4da') };
  },
  maxFaces: () => Number.POSITIVE_INFINITY,
  async composite({ template, photo, faces, artAt }) {
    await compositeOverlay(photo, template, faces, artAt);
    return photo;
  },
};
