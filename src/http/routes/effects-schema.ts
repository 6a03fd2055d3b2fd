import { z } from 'zod';
import { errors } from '../../errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../imaging/encode.js';
import type { EffectParams } from '../../pipeline/effect.js';
import type { MergeParams } from '../../pipeline/merge.js';
import { onTheWire } from '../openapi/wire.js';

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
  return onTheWire(z.string({ error: expected }).trim().regex(/^\d{1,6}$/, expected).transform(Number)
    .refine((v) => v >= min && v <= max, expected), { type: 'integer', minimum: min, maximum: max });
};

/** `jpg` is what file names say; it means jpeg. */
export const FORMAT_NAMES = [...OUTPUT_FORMATS, 'jpg'] as const;
export const MAX_FACE_INDEX = 999;
const FACE_EXPECTED = 'largest, all, or a face index (0 = largest)';

export function effectFieldsSchema(limits: { readonly maxSize: number }) {
  return z.object({
    format: z.enum(FORMAT_NAMES, { error: `one of ${OUTPUT_FORMATS.join(', ')}` })
      .transform((v): OutputFormat => (v === 'jpg' ? 'jpeg' : v)).optional()
      .describe('Output format (jpg is the same as jpeg); default from the Accept header, else jpeg.'),
    quality: intString(1, 100).optional().describe(`Encoder quality (default ${DEFAULT_QUALITY}).`),
    strength: intString(0, 100).optional()
      .describe(`Face swap: how much of the user's face replaces the template's (default ${DEFAULT_STRENGTH}).`),
    shape: intString(0, 100).optional()
      .describe(`Face swap: how far the template's face shape moves towards the user's, before the texture is placed (default ${DEFAULT_SHAPE}).`),
    face: onTheWire(z.string({ error: FACE_EXPECTED }).trim()
      .regex(/^(largest|all|\d{1,3})$/, FACE_EXPECTED)
      .transform((v) => (v === 'largest' || v === 'all' ? v : Number(v))), {
      anyOf: [{ type: 'string', enum: ['all', 'largest'] }, { type: 'integer', minimum: 0, maximum: MAX_FACE_INDEX }],
    }).optional()
      .describe('Which faces to use: all (default), largest, or an index into the faces sorted by size.'),
    maxSize: intString(64, limits.maxSize).optional().describe('Long edge of the output image, in pixels.'),
  }).strict();
}

export type EffectFields = z.infer<ReturnType<typeof effectFieldsSchema>>;

/** POST /v1/merge: the effect's fields, and which face of the caller's portrait to replace. */
export function mergeFieldsSchema(limits: { readonly maxSize: number }) {
  return effectFieldsSchema(limits).extend({
    templateFace: intString(0, MAX_FACE_INDEX).optional()
      .describe('Which face of the template portrait to replace (0 = largest); default: every face, up to 4.'),
  }).strict();
}

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
    // image/jpg is not a registered type, but browsers and libraries send it.
    if (type === 'image/jpg' || type === 'image/*' || type === '*/*') return 'jpeg';
  }
  return 'jpeg';
}

/**
 * Validates form fields against `schema`; a bad one becomes 400 invalid_parameter naming it, an
 * unknown one 400 invalid_parameter listing the known fields (never the unknown name).
 */
function parseForm<S extends z.ZodObject>(schema: S, body: unknown, files: readonly string[]): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') throw errors.unknownField([...files, ...Object.keys(schema.shape)]);
    throw errors.invalidParameter(String(issue.path[0] ?? '(form)'), issue.message);
  }
  return parsed.data;
}

/** The effect's parameters with their defaults filled in. */
function effectParams(f: EffectFields, accept: string | undefined, defaultSize: number): EffectParams {
  return {
    format: f.format ?? formatFromAccept(accept),
    quality: f.quality ?? DEFAULT_QUALITY,
    strength: f.strength ?? DEFAULT_STRENGTH,
    shape: f.shape ?? DEFAULT_SHAPE,
    face: f.face ?? 'all',
    maxSize: f.maxSize ?? defaultSize,
  };
}

export function parseEffectFields(
  body: unknown, accept: string | undefined, limits: { readonly maxSize: number; readonly defaultSize: number },
): EffectParams {
  return effectParams(parseForm(effectFieldsSchema(limits), body, ['image']), accept, limits.defaultSize);
}

export function parseMergeFields(
  body: unknown, accept: string | undefined, limits: { readonly maxSize: number; readonly defaultSize: number },
): MergeParams {
  const fields = parseForm(mergeFieldsSchema(limits), body, ['image', 'template']);
  return { ...effectParams(fields, accept, limits.defaultSize), templateFace: fields.templateFace };
}
