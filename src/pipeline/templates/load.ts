import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { templateSchema, type TemplateDefinition } from '../kinds/index.js';

/** A template that cannot be used: the message names the file and the field. Stops the boot. */
export class TemplateError extends Error {
  constructor(readonly file: string, readonly field: string, detail: string) {
    super(`Invalid template ${file}: ${field}: ${detail}`);
    this.name = 'TemplateError';
  }
}

export interface LoadedDefinition {
  readonly definition: TemplateDefinition;
  /** The template's folder (assets are resolved inside it). */
  readonly dir: string;
  /** The template.json path, relative to the working directory, for messages. */
  readonly file: string;
}

/** Reads and validates every `<dir>/<id>/template.json`, in id order. Throws TemplateError. */
export function readTemplateDefinitions(dir: string): LoadedDefinition[] {
  if (!existsSync(dir)) throw new TemplateError(dir, '(folder)', 'the templates folder does not exist');
  const ids = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (ids.length === 0) throw new TemplateError(dir, '(folder)', 'no templates found');
  return ids.map((id) => readOne(join(dir, id), id));
}

function readOne(folder: string, id: string): LoadedDefinition {
  const path = join(folder, 'template.json');
  const file = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw new TemplateError(file, '(file)', 'template.json is missing');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TemplateError(file, '(file)', `not valid JSON (${(error as Error).message})`);
  }
  const parsed = templateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TemplateError(file, issue.path.join('.') || '(root)', issue.message);
  }
  const definition = parsed.data;
  if (definition.id !== id) throw new TemplateError(file, 'id', `expected "${id}" (the folder name) but found "${definition.id}"`);
  if ('art' in definition && !existsSync(join(folder, definition.art))) {
    throw new TemplateError(file, 'art', `the file "${definition.art}" is not in ${folder}`);
  }
  if (definition.kind === 'face-swap') {
    const { crop } = definition.portrait;
    if (crop.width * crop.height > 40_000_000) throw new TemplateError(file, 'portrait.crop', 'crop larger than 40 MP');
  }
  return { definition, dir: folder, file };
}
