import type { z } from 'zod';

/**
 * How a field travels, when that differs from the zod schema that parses it. Multipart text
 * fields arrive as strings, so the route parses "85" with a string schema; a client should still
 * be told (and typed) that the field is an integer from 1 to 100. The OpenAPI builder replaces the
 * JSON Schema zod derives for a registered schema with the one given here.
 */
export type WireSchema = Readonly<Record<string, unknown>>;

const wire = new WeakMap<object, WireSchema>();

export function onTheWire<T extends z.ZodType>(schema: T, json: WireSchema): T {
  wire.set(schema, json);
  return schema;
}

export function wireSchemaOf(schema: object): WireSchema | undefined {
  return wire.get(schema);
}
