import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { imageFile } from '../schemas/landmarks.js';
import { PROBLEM_CODES } from '../schemas/problem.js';
import { buildOpenApi, named } from './builder.js';
import { operations, operationsFor } from './operations.js';
import { PROBLEM_SAMPLES } from '../problem-catalogue.js';

const info = { title: 'mayfly', version: '0.0.0', description: 'test' };

describe('OpenAPI builder', () => {
  it('adds a route like POST /v1/effects/{id} from its zod schemas in one entry', () => {
    const effectFields = z.strictObject({
      format: z.enum(['jpeg', 'png', 'webp']).optional().describe('Output format.'),
      quality: z.coerce.number().int().min(1).max(100).optional(),
    });
    const doc = buildOpenApi(info, [...operations, {
      method: 'post',
      path: '/v1/effects/{id}',
      operationId: 'applyEffect',
      summary: 'Composite the photo into a template',
      scope: 'effects',
      pathParams: z.object({ id: z.string().regex(/^[a-z0-9-]+$/).describe('Template id.') }),
      multipart: named('EffectRequest', effectFields.extend({ image: imageFile })),
      responses: { 200: { description: 'The composited image.', binary: ['image/jpeg', 'image/png', 'image/webp'] } },
      problems: [400, 404, 413, 415, 422],
    }]) as {
      paths: Record<string, Record<string, { parameters: { name: string; in: string; required: boolean }[]; responses: Record<string, { content?: Record<string, unknown> }>; 'x-mayfly-scope'?: string }>>;
      components: { schemas: Record<string, { properties?: Record<string, { type?: string; format?: string; enum?: string[] }>; required?: string[] }> };
    };
    const op = doc.paths['/v1/effects/{id}']!.post!;
    expect(op['x-mayfly-scope']).toBe('effects');
    expect(op.parameters.find((p) => p.name === 'id')).toMatchObject({ in: 'path', required: true });
    expect(Object.keys(op.responses['200']!.content!)).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '422', '429', '431', '500', '503']);
    const request = doc.components.schemas.EffectRequest!;
    expect(request.properties?.image).toMatchObject({ type: 'string', format: 'binary' });
    expect(request.properties?.format?.enum).toEqual(['jpeg', 'png', 'webp']);
    expect(request.required).toEqual(['image']);
    // The existing operations are unchanged by the addition.
    expect(doc.paths['/v1/landmarks']!.post!['x-mayfly-scope']).toBe('landmarks');
  });

  it('lists every code of the errors catalogue in the Problem schema', () => {
    // Factories take a string, a number, a header map or a list of methods: try each shape.
    const codeOf = (make: unknown): string => {
      for (const args of [['x', 1, {}], [['GET']], [1, 1, {}]]) {
        try {
          return (make as (...a: unknown[]) => { code: string })(...args).code;
        } catch { /* another argument shape */ }
      }
      throw new Error('could not call an errors factory');
    };
    const produced = Object.values(errors).map(codeOf);
    // bad_request is made in http/problem.ts from express's own 4xx errors.
    expect(new Set([...produced, 'bad_request'])).toEqual(new Set(PROBLEM_CODES));
    // The examples and /problems pages come from one sample per code, made by the code's own factory.
    for (const code of PROBLEM_CODES) expect(PROBLEM_SAMPLES[code].code).toBe(code);
  });

  it('declares multipart text fields by their wire type: integers with bounds, enums', () => {
    const doc = buildOpenApi(info, operationsFor({ maxSize: 1024 })) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const fields = doc.components.schemas.EffectRequest!.properties;
    expect(fields.quality).toEqual({ description: expect.any(String), type: 'integer', minimum: 1, maximum: 100 });
    expect(fields.maxSize).toEqual({ description: expect.any(String), type: 'integer', minimum: 64, maximum: 1024 });
    expect(fields.format).toMatchObject({ enum: ['jpeg', 'png', 'webp', 'avif', 'jpg'] });
  });
});
