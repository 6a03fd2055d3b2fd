import { z } from 'zod';

/** GET /v1/templates, as the OpenAPI document describes it (tests check real answers against it). */
const point = z.tuple([z.number(), z.number()]).describe('[x, y] in pixels of the template art.');

export const templateSummary = z.strictObject({
  id: z.string().describe('Template id, used in /v1/effects/{templateId}.'),
  name: z.string(),
  kind: z.enum(['overlay', 'face-in-hole', 'face-swap']),
  description: z.string(),
  license: z.string().describe('Where the art comes from and under which license.'),
  width: z.int().positive().describe('Width of the template art in pixels.'),
  height: z.int().positive(),
  slots: z.array(z.strictObject({ anchors: z.record(z.string(), point) }))
    .describe('One entry per face the template takes, with its anchor points.'),
  previewUrl: z.string().describe('Path of the preview image (PNG, cacheable).'),
});

export const templatesResponse = z.strictObject({ templates: z.array(templateSummary) });

export const templateIdParam = z.object({
  templateId: z.string().regex(/^[a-z0-9-]+$/).describe('Template id from GET /v1/templates.'),
});
