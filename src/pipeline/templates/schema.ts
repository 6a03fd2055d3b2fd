import { z } from 'zod';

/**
 * The schema of `models/templates/<id>/template.json`. Templates are data: adding one is adding a
 * folder. Coordinates are pixels of the template's own art (its native size); "leftEye" is the
 * eye on the image's left, as face-api names the 68 points (points 36–41).
 */
const point = z.tuple([z.number().finite(), z.number().finite()]);
const fileName = z.string().regex(/^[a-z0-9][a-z0-9._-]*\.(svg|png)$/, 'a file name in the template folder ending in .svg or .png');
const hexColour = z.string().regex(/^#[0-9a-f]{6}$/i, 'a colour like #1a2b3c');

export const anchorsSchema = z.object({
  leftEye: point,
  rightEye: point,
  mouth: point.optional(),
}).strict();

const base = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'a kebab-case id (2–41 characters)'),
  name: z.string().min(1).max(60),
  description: z.string().min(1).max(300),
  /** Where the art comes from and under which licence. */
  license: z.string().min(1).max(300),
};

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

export const templateSchema = z.discriminatedUnion('kind', [overlaySchema, faceInHoleSchema, faceSwapSchema]);

export type TemplateDefinition = z.infer<typeof templateSchema>;
export type OverlayDefinition = z.infer<typeof overlaySchema>;
export type FaceInHoleDefinition = z.infer<typeof faceInHoleSchema>;
export type FaceSwapDefinition = z.infer<typeof faceSwapSchema>;
export type TemplateKind = TemplateDefinition['kind'];
export type Anchors = z.infer<typeof anchorsSchema>;
