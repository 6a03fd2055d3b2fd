import { describe, expect, it } from 'vitest';
import { readTemplateDefinitions, TemplateError } from './load.js';

describe('template definitions', () => {
  it('every shipped template validates; ids match folders', () => {
    const loaded = readTemplateDefinitions('models/templates');
    expect(loaded.length).toBeGreaterThanOrEqual(8);
    for (const { definition, dir } of loaded) expect(dir.endsWith(`/${definition.id}`)).toBe(true);
  });

  it('a broken template stops loading with a message naming the file and the field', () => {
    let error: unknown;
    try { readTemplateDefinitions('test/fixtures/templates-broken'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(TemplateError);
    const message = (error as Error).message;
    expect(message).toContain('test/fixtures/templates-broken/bad-anchors/template.json');
    expect(message).toContain('slots.0.anchors.rightEye');
  });

  it('a missing folder is reported', () => {
    expect(() => readTemplateDefinitions('models/no-such-folder')).toThrow(/templates folder does not exist/);
  });
});
