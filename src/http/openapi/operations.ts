import { healthBody, readinessBody } from '../schemas/health.js';
import { landmarksRequest, landmarksResponse } from '../schemas/landmarks.js';
import { named, type OperationDoc } from './builder.js';

/**
 * Every documented operation. A new route adds one entry here, built from the zod schemas its
 * handler validates with (e.g. POST /v1/effects/{id} from src/http/routes/effects-schema.ts).
 */
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
