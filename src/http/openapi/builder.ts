import { z } from 'zod';
import type { Scope } from '../../auth/principal.js';
import { problemBody } from '../schemas/problem.js';

/**
 * Builds the OpenAPI 3.1 document from the zod schemas the routes validate with, so the document
 * cannot drift from the code. A route is described by one OperationDoc; adding a route to the
 * document is adding one entry to the list in ./operations.ts. Component names come from
 * `named()`; everything else is inlined.
 */
export interface Named {
  readonly name: string;
  readonly schema: z.ZodType;
}

export const named = (name: string, schema: z.ZodType): Named => ({ name, schema });

export interface ResponseDoc {
  readonly description: string;
  /** JSON body; a Named schema becomes a component. */
  readonly json?: Named | z.ZodType;
  /** Non-JSON bodies by media type (e.g. image/jpeg → binary). */
  readonly binary?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OperationDoc {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template: /v1/effects/{id}. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Scope the caller needs; a scoped operation requires credentials and may answer 401/403/429. */
  readonly scope?: Scope;
  readonly pathParams?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** multipart/form-data body (use z.file() for file parts). */
  readonly multipart?: Named | z.ZodObject;
  readonly json?: Named | z.ZodType;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Problem statuses this operation may answer besides the ones every operation may. */
  readonly problems?: readonly number[];
}

export interface ApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
}

type JsonSchema = Record<string, unknown>;

export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (missing_image, too_many_files, malformed_multipart, invalid_parameter, bad_request).',
  401: 'Missing or invalid credentials (missing_credentials, invalid_credentials).',
  403: 'The credentials may not use this operation (forbidden).',
  404: 'No such resource (not_found, template_not_found).',
  405: 'Method not allowed (method_not_allowed).',
  408: 'The body was not received in time (request_timeout).',
  413: 'Upload or image too large (payload_too_large, image_too_large).',
  415: 'Not multipart, or not a supported image (not_multipart, unsupported_media_type).',
  422: 'The image could not be decoded, or holds no usable face (image_decode_failed, no_face_detected, face_too_small, face_pose_unsupported).',
  431: 'Request headers too large (headers_too_large).',
  429: 'Rate limit or daily quota reached (rate_limited, quota_exceeded); see Retry-After.',
  500: 'Unexpected failure (internal_error).',
  503: 'Overloaded, timed out, starting or shutting down (overloaded, timeout, not_ready, shutting_down); see Retry-After.',
};

const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': 'Every limit that applies: `<limit>;w=<window seconds>`, comma-separated.',
  'RateLimit-Limit': 'The limit nearest to exhaustion (requests in its window).',
  'RateLimit-Remaining': 'Requests left in that window.',
  'RateLimit-Reset': 'Seconds until that window resets.',
};

export function buildOpenApi(info: ApiInfo, operations: readonly OperationDoc[]): Record<string, unknown> {
  const components: Record<string, JsonSchema> = { Problem: jsonSchemaOf(problemBody) };
  const ref = (schema: Named | z.ZodType, io: 'input' | 'output'): JsonSchema => {
    if (schema instanceof z.ZodType) return jsonSchemaOf(schema, io);
    components[schema.name] ??= jsonSchemaOf(schema.schema, io);
    return { $ref: `#/components/schemas/${schema.name}` };
  };
  const headersOf = (headers: Readonly<Record<string, string>>): JsonSchema =>
    Object.fromEntries(Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
  const problem = (status: number): JsonSchema => ({
    description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    ...(status === 401 ? { headers: headersOf({ 'WWW-Authenticate': 'Bearer realm="mayfly"' }) } : {}),
    ...(status === 429 ? { headers: headersOf({ 'Retry-After': 'Seconds to wait.', ...RATE_LIMIT_HEADERS }) } : {}),
    ...(status === 503 ? { headers: headersOf({ 'Retry-After': 'Seconds to wait.' }) } : {}),
  });

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const parameters = [
      ...paramsOf(op.pathParams, 'path'),
      ...paramsOf(op.query, 'query'),
      { name: 'X-Request-Id', in: 'header', required: false, description: 'Your id for this request (1–64 of A-Z a-z 0-9 . _ : -); echoed back, else one is generated.', schema: { type: 'string' } },
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(op.responses)) {
      const content: Record<string, unknown> = {};
      if (doc.json) content['application/json'] = { schema: ref(doc.json, 'output') };
      for (const type of doc.binary ?? []) content[type] = { schema: { type: 'string', contentMediaType: type } };
      responses[status] = {
        description: doc.description,
        headers: headersOf({ 'X-Request-Id': 'The request id.', ...(op.scope ? RATE_LIMIT_HEADERS : {}), ...doc.headers }),
        ...(Object.keys(content).length > 0 ? { content } : {}),
      };
    }
    const problemStatuses = new Set([...(op.scope ? [401, 403, 429] : []), 500, 503, ...(op.problems ?? [])]);
    for (const status of [...problemStatuses].sort()) responses[String(status)] ??= problem(status);
    const requestBody = op.multipart
      ? { required: true, content: { 'multipart/form-data': { schema: ref(op.multipart, 'input') } } }
      : op.json ? { required: true, content: { 'application/json': { schema: ref(op.json, 'input') } } } : undefined;
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.tags ? { tags: op.tags } : {}),
      ...(op.scope ? { security: [{ apiKey: [] }, { bearer: [] }], 'x-mayfly-scope': op.scope } : { security: [] }),
      parameters,
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Partner API key (also accepted as Authorization: Bearer <key>).' },
        bearer: { type: 'http', scheme: 'bearer', description: 'Partner API key, or a JWT issued by the app backend.' },
      },
    },
  };
}

function paramsOf(schema: z.ZodObject | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = jsonSchemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}
