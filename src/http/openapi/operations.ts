import { OUTPUT_FORMATS } from '../../imaging/encode.js';
import { effectFieldsSchema, mergeFieldsSchema } from '../routes/effects-schema.js';
import { healthBody, readinessBody } from '../schemas/health.js';
import { imageFile, landmarksRequest, landmarksResponse } from '../schemas/landmarks.js';
import { templateIdParam, templatesResponse } from '../schemas/templates.js';
import { named, type MultipartEncoding, type OperationDoc } from './builder.js';

/** The photo part: its type is sniffed from its bytes, whatever Content-Type the part declares. */
const IMAGE_TYPES = 'image/jpeg, image/png, image/webp, image/avif';
const IMAGE_PART: MultipartEncoding = { image: { contentType: IMAGE_TYPES } };
const PICTURE_HEADERS = {
  'X-Faces-Used': 'How many faces of the photo were composited.',
  'Server-Timing': 'decode, detect, composite and encode durations in ms.',
};

/**
 * Every documented operation: `operations` below, plus those whose schemas depend on settings
 * (`operationsFor`). A new route adds one entry, built from the zod schemas its handler
 * validates with (POST /v1/effects/{templateId} from src/http/routes/effects-schema.ts).
 */
export function operationsFor(limits: { readonly maxSize: number }): OperationDoc[] {
  return [
    ...operations,
    {
      method: 'post',
      path: '/v1/effects/{templateId}',
      operationId: 'applyEffect',
      summary: 'Composite the face(s) of a photo into a template',
      description: 'Upload one photo (multipart/form-data, field "image") plus optional fields. The answer is the picture; '
        + 'the photo and the picture are held only in memory and wiped once the answer is sent. Metadata of the input is never carried over.',
      tags: ['effects'],
      scope: 'effects',
      pathParams: templateIdParam,
      multipart: named('EffectRequest', effectFieldsSchema(limits).extend({ image: imageFile })),
      multipartEncoding: IMAGE_PART,
      responses: {
        200: { description: 'The composited picture.', binary: OUTPUT_FORMATS.map((f) => `image/${f}`), headers: PICTURE_HEADERS },
      },
      problems: [400, 404, 408, 413, 415, 422],
    },
    {
      method: 'post',
      path: '/v1/merge',
      operationId: 'mergeFace',
      summary: 'Swap the face of a photo into a portrait you bring',
      description: 'Upload the person\'s photo (field "image") and a portrait (field "template"), plus the effect\'s optional fields '
        + 'and templateFace. Every face of the portrait (up to 4, largest first) receives a face of the photo, or only the one '
        + 'templateFace names. Nothing is registered: both uploads are held only in memory and wiped once the answer is sent.',
      tags: ['effects'],
      scope: 'effects',
      multipart: named('MergeRequest', mergeFieldsSchema(limits).extend({ image: imageFile, template: imageFile })),
      multipartEncoding: { ...IMAGE_PART, template: { contentType: IMAGE_TYPES } },
      responses: {
        200: { description: 'The portrait with the face swapped in.', binary: OUTPUT_FORMATS.map((f) => `image/${f}`), headers: PICTURE_HEADERS },
      },
      problems: [400, 408, 413, 415, 422],
    },
    {
      method: 'get',
      path: '/v1/templates',
      operationId: 'listTemplates',
      summary: 'The template catalogue (public: templates are not user data)',
      tags: ['effects'],
      responses: { 200: { description: 'Every template.', json: named('Templates', templatesResponse) } },
    },
    {
      method: 'get',
      path: '/v1/templates/{templateId}/preview',
      operationId: 'templatePreview',
      summary: 'Preview art of a template (PNG, cacheable)',
      tags: ['effects'],
      pathParams: templateIdParam,
      responses: { 200: { description: 'The preview.', binary: ['image/png'] } },
      problems: [404],
    },
  ];
}

export const operations: OperationDoc[] = [
  {
    method: 'post',
    path: '/v1/landmarks',
    operationId: 'detectLandmarks',
    summary: 'Find every face and its 68 landmarks',
    description: 'Upload one photo (multipart/form-data, field "image"). The photo is held only in memory and wiped once the answer is sent.',
    tags: ['faces'],
    scope: 'landmarks',
    multipart: named('LandmarksRequest', landmarksRequest),
    multipartEncoding: IMAGE_PART,
    responses: { 200: { description: 'Faces found (possibly none), largest first.', json: named('LandmarksResponse', landmarksResponse) } },
    problems: [400, 408, 413, 415, 422],
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    responses: { 200: { description: 'Alive.', json: healthBody } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    summary: 'Readiness: models loaded and not shutting down',
    tags: ['operations'],
    responses: {
      200: { description: 'Ready for work.', json: named('Readiness', readinessBody) },
      503: { description: 'Starting or shutting down.', json: named('Readiness', readinessBody) },
    },
  },
];
