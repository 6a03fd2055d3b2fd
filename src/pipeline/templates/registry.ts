import type { Raster } from '../../imaging/raster.js';
import { kindOf, type Template } from '../kinds/index.js';
import type { PrepareEnv } from '../kinds/kind.js';
import { scaleArt } from './art.js';
import { createByteCache, type Sized } from './byte-cache.js';
import type { LoadedDefinition } from './load.js';

/**
 * Templates ready to composite: each prepared once at boot by its kind (art rasterised, face-swap
 * portraits cropped and their faces found: templates are not user data). What is derived per
 * output size (scaled art) lives in one cache bounded by bytes (TEMPLATE_CACHE_MB), so a client
 * cycling through `maxSize` values cannot grow the process.
 */
/** What compositing reads of a template's art: the registry's caches, or a request's own portrait. */
export interface TemplateArt {
  /** The template's art scaled so that its long edge is `longEdge` (cached, bounded). */
  artAt(template: Template, longEdge: number): Promise<Raster>;
  /**
   * Something a kind derives from the template alone (never from a photo), per output size:
   * made once and kept in the same bounded cache as the scaled art.
   */
  derived<T>(template: Template, key: string, make: () => Sized<T>): Promise<T>;
}

export interface TemplateRegistry extends TemplateArt {
  list(): readonly Template[];
  get(id: string): Template | undefined;
  /** Bytes the size cache holds now. */
  cachedBytes(): number;
}

export interface PrepareOptions {
  /** Named folders a face-swap portrait may come from, e.g. { 'face-api-demo': '…/demo' }. */
  readonly assetRoots: PrepareEnv['assetRoots'];
  readonly detect: PrepareEnv['detect'];
  /** Byte budget of the per-size cache. */
  readonly cacheBytes: number;
}

export async function prepareTemplates(definitions: readonly LoadedDefinition[], options: PrepareOptions): Promise<TemplateRegistry> {
  const templates: Template[] = [];
  for (const { definition, dir, file } of definitions) {
    templates.push(await kindOf(definition.kind).prepare(definition, { dir, file, assetRoots: options.assetRoots, detect: options.detect }));
  }
  const byId = new Map(templates.map((t) => [t.id, t]));
  const cache = createByteCache(options.cacheBytes);
  return {
    list: () => templates,
    get: (id) => byId.get(id),
    artAt(template, longEdge) {
      if (longEdge === Math.max(template.width, template.height)) return Promise.resolve(template.art);
      return cache.get(`${template.id}@${longEdge}`, async () => {
        const art = await scaleArt(template.art, longEdge);
        return { value: art, bytes: art.data.byteLength };
      });
    },
    derived: (template, key, make) => cache.get(`${template.id}:${key}`, async () => make()),
    cachedBytes: () => cache.bytes(),
  };
}

export type { Template };
