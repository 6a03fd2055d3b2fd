import { z } from 'zod';
import type { Scope } from '../../auth/principal.js';
import { codesWithStatus, PROBLEM_SAMPLES } from '../problem-catalogue.js';
import { problemOf } from '../problem.js';
import { problemBody } from '../schemas/problem.js';
import { wireSchemaOf } from './wire.js';

/**
 * Builds the OpenAPI 3.1 document from the zod schemas the routes validate with, so the document
 * cannot drift from the code. A route is described by one OperationDoc; adding a route to the
 * document is adding one entry to the list in ./operations.ts. Component names come from
 * `named()`; everything else is inlined. Problem answers carry examples made by the errors
 * catalogue itself (../problem-catalogue.ts).
 *
 * Why not a zod→OpenAPI library: zod 4 converts to JSON Schema 2020-12 itself, which is what
 * OpenAPI 3.1 uses; what is left (paths, problems, security, multipart encoding) is this file.
 * The one mismatch, multipart text fields that a route parses as strings but that travel as
 * integers, is declared beside the field (./wire.ts); a library would need the same override.
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

/** A multipart field's media types (OpenAPI `encoding`), e.g. the image part. */
export type MultipartEncoding = Readonly<Record<string, { readonly contentType: string }>>;

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
  readonly multipartEncoding?: MultipartEncoding;
  readonly json?: Named | z.ZodType;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Problem statuses this operation may answer besides the ones every operation may. */
  readonly problems?: readonly number[];
}

export interface ApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  readonly license?: { readonly name: string; readonly identifier?: string; readonly url?: string };
}

/**
 * The project has no licence of its own yet (package.json: private, no "license"): the document
 * says so rather than invent one. Template art carries its own licence in GET /v1/templates.
 */
export const DEFAULT_LICENSE = { name: 'UNLICENSED: proprietary, no licence granted' } as const;

type JsonSchema = Record<string, unknown>;

export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12', io, unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const wire = io === 'input' ? wireSchemaOf(zodSchema) : undefined;
      if (!wire) return;
      const node = jsonSchema as JsonSchema;
      for (const key of Object.keys(node)) if (key !== 'description') delete node[key];
      Object.assign(node, wire);
    },
  }) as JsonSchema;
  return rest;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request', 401: 'Missing or invalid credentials', 403: 'Not allowed for these credentials', 404: 'Not found',
  405: 'Method not allowed', 408: 'The body was not received in time', 413: 'Upload or image too large',
  415: 'Not multipart, or not a supported image', 422: 'The image could not be used', 429: 'Rate limit or daily quota reached',
  431: 'Request headers too large', 500: 'Unexpected failure', 503: 'Overloaded, timed out, starting or shutting down',
};

const INTEGER_HEADERS = new Set(['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Faces-Used']);

/** Answered by any request, before routing (Node's HTTP parser): listed on every operation. */
const ANY_REQUEST_PROBLEMS = [400, 431];

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
    Object.fromEntries(Object.entries(headers).map(([name, description]) =>
      [name, { description, schema: INTEGER_HEADERS.has(name) ? { type: 'integer', minimum: 0 } : { type: 'string' } }]));
  const problem = (status: number): JsonSchema => ({
    description: `${STATUS_TEXT[status] ?? 'Problem'} (${codesWithStatus(status).join(', ')}); each code has a page at /problems/{code}.`,
    content: {
      'application/problem+json': {
        schema: { $ref: '#/components/schemas/Problem' },
        examples: Object.fromEntries(codesWithStatus(status).map((code) =>
          [code, { summary: PROBLEM_SAMPLES[code].title, value: problemOf(PROBLEM_SAMPLES[code]) }])),
      },
    },
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
      for (const type of doc.binary ?? []) content[type] = { schema: { type: 'string', format: 'binary', contentMediaType: type } };
      responses[status] = {
        description: doc.description,
        headers: headersOf({ 'X-Request-Id': 'The request id.', ...(op.scope ? RATE_LIMIT_HEADERS : {}), ...doc.headers }),
        ...(Object.keys(content).length > 0 ? { content } : {}),
      };
    }
    const problemStatuses = new Set([...ANY_REQUEST_PROBLEMS, ...(op.scope ? [401, 403, 429] : []), 500, 503, ...(op.problems ?? [])]);
    for (const status of [...problemStatuses].sort()) responses[String(status)] ??= problem(status);
    const requestBody = op.multipart
      ? { required: true, content: { 'multipart/form-data': {
        schema: ref(op.multipart, 'input'), ...(op.multipartEncoding ? { encoding: op.multipartEncoding } : {}),
      } } }
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

  // No jsonSchemaDialect: 3.1's default dialect is what zod emits, and Swagger UI refuses any other value.
  return {
    openapi: '3.1.0',
    info: { ...info, license: info.license ?? DEFAULT_LICENSE },
    // Relative: the instance that serves this document is the one to call (Swagger UI's "Try it").
    servers: [{ url: '/', description: 'The instance that served this document.' }],
    tags: [
      { name: 'faces', description: 'Find faces and their landmarks.' },
      { name: 'effects', description: 'Templates and the effects that composite a face into them.' },
      { name: 'operations', description: 'Liveness and readiness probes.' },
    ],
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
