import { z } from 'zod';
import { errors } from '../../errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../imaging/encode.js';
import type { EffectParams } from '../../pipeline/effect.js';

/**
 * The form fields of POST /v1/effects/{templateId}, as zod schemas (exported so that an OpenAPI
 * document can be generated from them). Multipart text fields arrive as strings. Each issue's
 * message is the "what was expected" half of the 400 invalid_parameter answer.
 */
export const DEFAULT_QUALITY = 85;
export const DEFAULT_STRENGTH = 85;
export const DEFAULT_SHAPE = 70;

const intString = (min: number, max: number) => {
  const expected = `an integer from ${min} to ${max}`;
  return z.string({ error: expected }).trim().regex(/^\d{1,6}$/, expected).transform(Number)
    .refine((v) => v >= min && v <= max, expected);
};

export function effectFieldsSchema(limits: { readonly maxSize: number }) {
  return z.object({
    format: z.enum(OUTPUT_FORMATS, { error: `one of ${OUTPUT_FORMATS.join(', ')}` }).optional()
      .describe('Output format; default from the Accept header, else jpeg.'),
    quality: intString(1, 100).optional().describe(`Encoder quality (default ${DEFAULT_QUALITY}).`),
    strength: intString(0, 100).optional()
      .describe(`Face swap: how much of the user's face replaces the template's (default ${DEFAULT_STRENGTH}).`),
    shape: intString(0, 100).optional()
      .describe(`Face swap: how far the template's face shape moves towards the user's, before the texture is placed (default ${DEFAULT_SHAPE}).`),
    face: z.string({ error: 'largest, all, or a face index (0 = largest)' }).trim()
      .regex(/^(largest|all|\d{1,3})$/, 'largest, all, or a face index (0 = largest)')
      .transform((v) => (v === 'largest' || v === 'all' ? v : Number(v))).optional()
      .describe('Which faces to use: all (default), largest, or an index into the faces sorted by size.'),
    maxSize: intString(64, limits.maxSize).optional().describe('Long edge of the output image, in pixels.'),
  }).strict();
}

export type EffectFields = z.infer<ReturnType<typeof effectFieldsSchema>>;

const FIELD_NAMES = ['format', 'quality', 'strength', 'shape', 'face', 'maxSize'];

/** Output format from an Accept header: the supported image type with the highest q; else jpeg. */
export function formatFromAccept(accept: string | undefined): OutputFormat {
  if (!accept) return 'jpeg';
  const ranked = accept.split(',').map((part, order) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: type.trim(), q: q ? Number(q.slice(2)) : 1, order };
  }).filter((e) => Number.isFinite(e.q) && e.q > 0).sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { type } of ranked) {
    const format = OUTPUT_FORMATS.find((f) => type === `image/${f}`);
    if (format) return format;
    if (type === 'image/*' || type === '*/*') return 'jpeg';
  }
  return 'jpeg';
}

/** Validates the form fields; a bad one becomes 400 invalid_parameter naming it. */
export function parseEffectFields(
  body: unknown, accept: string | undefined, limits: { readonly maxSize: number; readonly defaultSize: number },
): EffectParams {
  const parsed = effectFieldsSchema(limits).safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw errors.invalidParameter(String(issue.keys[0]).slice(0, 40), `no such field (known fields: ${FIELD_NAMES.join(', ')})`);
    }
    throw errors.invalidParameter(String(issue.path[0] ?? '(form)'), issue.message);
  }
  const f = parsed.data;
  return {
    format: f.format ?? formatFromAccept(accept),
    quality: f.quality ?? DEFAULT_QUALITY,
    strength: f.strength ?? DEFAULT_STRENGTH,
    shape: f.shape ?? DEFAULT_SHAPE,
    face: f.face ?? 'all',
    maxSize: f.maxSize ?? limits.defaultSize,
  };
}
