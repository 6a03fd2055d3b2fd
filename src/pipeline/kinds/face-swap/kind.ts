import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { faceAnchors } from '../../../imaging/geometry.js';
import type { Raster } from '../../../imaging/raster.js';
import { delaunay } from '../../../imaging/triangulation.js';
import { TemplateError } from '../../templates/load.js';
import { previewOf } from '../../templates/art.js';
import { base } from '../../templates/schema.js';
import { sceneCanvas, sceneEdge, type Kind, type PreparedSlot, type TemplateCommon } from '../kind.js';
import { compositeFaceSwap } from './composite.js';

/** A portrait whose faces are replaced by the person's, warped triangle by triangle. */
export const faceSwapSchema = z.object({
  ...base,
  kind: z.literal('face-swap'),
  /** The portrait: a photo from a known asset root, cropped and scaled at load. */
  portrait: z.object({
    source: z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9._-]+\.(jpg|png)$/, 'a source like "face-api-demo:sample3.jpg"'),
    crop: z.object({
      left: z.number().int().min(0), top: z.number().int().min(0),
      width: z.number().int().min(32), height: z.number().int().min(32),
    }).strict(),
    /** Long edge of the portrait after scaling (its native size). */
    longEdge: z.number().int().min(128).max(4096),
  }).strict(),
  /** Which faces of the portrait receive a face: indices into its faces sorted by size. */
  slots: z.array(z.object({ face: z.number().int().min(0).max(9) }).strict()).min(1).max(4),
  /** Feather width as a fraction of the slot's eye distance (feather blend; the Poisson blend insets its boundary by half of it). */
  feather: z.number().min(0.02).max(1).default(0.25),
  /** poisson: gradient-domain blend (default); feather: Lab colour transfer and a feathered edge. */
  blend: z.enum(['poisson', 'feather']).default('poisson'),
}).strict();

export type FaceSwapDefinition = z.infer<typeof faceSwapSchema>;
export interface FaceSwapTemplate extends TemplateCommon {
  readonly kind: 'face-swap';
  readonly feather: number;
  readonly blend: 'poisson' | 'feather';
}

export const faceSwap: Kind<FaceSwapDefinition, FaceSwapTemplate> = {
  schema: faceSwapSchema,
  // The portrait is cropped from a named asset root and its faces found once, here (not user data).
  async prepare(d, env) {
    const [rootName, name] = d.portrait.source.split(':') as [string, string];
    const root = env.assetRoots[rootName];
    if (!root) throw new TemplateError(env.file, 'portrait.source', `unknown asset root "${rootName}"`);
    const { crop, longEdge } = d.portrait;
    let art: Raster;
    try {
      const { data, info } = await sharp(readFileSync(join(root, name)))
        .rotate().extract(crop).resize(longEdge, longEdge, { fit: 'inside' }).toColourspace('srgb').removeAlpha().raw()
        .toBuffer({ resolveWithObject: true });
      art = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
    } catch (error) {
      throw new TemplateError(env.file, 'portrait', `cannot crop the portrait (${(error as Error).message})`);
    }
    const faces = [...await env.detect(art.data.slice(), art.width, art.height)]
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    const slots = d.slots.map((slot, i): PreparedSlot => {
      const face = faces[slot.face];
      if (!face) throw new TemplateError(env.file, `slots.${i}.face`, `the portrait has ${faces.length} face(s); index ${slot.face} does not exist`);
      return { anchors: faceAnchors(face.landmarks), landmarks: face.landmarks, triangles: delaunay(face.landmarks) };
    });
    return { id: d.id, name: d.name, description: d.description, license: d.license, kind: 'face-swap', art, slots,
      feather: d.feather, blend: d.blend, width: art.width, height: art.height, preview: await previewOf(art, '#000000') };
  },
  maxFaces: (template) => template.slots.length,
  async composite({ template, photo, faces, params, artAt, ledger }) {
    const art = await artAt(sceneEdge(template, params.maxSize));
    const out = sceneCanvas(art, ledger);
    compositeFaceSwap(out, photo, template, art, art.width / template.width, faces, {
      strength: params.strength / 100, shape: params.shape / 100, maxYawDegrees: params.swapMaxYawDegrees,
    });
    return out;
  },
};
