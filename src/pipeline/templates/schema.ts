import { z } from 'zod';

/**
 * The parts of `models/templates/<id>/template.json` every kind shares; each kind's own schema is
 * in its module (kinds/<kind>/kind.ts) and kinds/index.ts joins them. Templates are data: adding
 * one is adding a folder. Coordinates are pixels of the template's own art (its native size);
 * "leftEye" is the eye on the image's left, as face-api names the 68 points (points 36–41).
 */
export const point = z.tuple([z.number().finite(), z.number().finite()]);
export const fileName = z.string().regex(/^[a-z0-9][a-z0-9._-]*\.(svg|png)$/, 'a file name in the template folder ending in .svg or .png');
export const hexColour = z.string().regex(/^#[0-9a-f]{6}$/i, 'a colour like #1a2b3c');

export const anchorsSchema = z.object({
  leftEye: point,
  rightEye: point,
  mouth: point.optional(),
}).strict();

export const base = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'a kebab-case id (2–41 characters)'),
  name: z.string().min(1).max(60),
  description: z.string().min(1).max(300),
  /** Where the art comes from and under which licence. */
  license: z.string().min(1).max(300),
};

export type Anchors = z.infer<typeof anchorsSchema>;
