import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { faceAnchors, type Vec } from '../../imaging/geometry.js';
import { TemplateError, type LoadedDefinition } from './load.js';
import type { TemplateKind } from './schema.js';
import { delaunay, type Triangle } from '../../imaging/triangulation.js';

/**
 * Templates ready to composite: art rasterised, face-swap portraits cropped and their faces
 * found once (templates are not user data, so all of this is cached for the process' life).
 * Face detection is injected as a plain function; this module never sees the models.
 */
export interface Pixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

export interface TemplateFace {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly landmarks: readonly Vec[];
}

export type DetectFn = (pixels: Uint8Array, width: number, height: number) => Promise<readonly TemplateFace[]>;

export interface SlotAnchors { readonly leftEye: Vec; readonly rightEye: Vec; readonly mouth?: Vec }

export interface PreparedSlot {
  /** In pixels of the template's native art. */
  readonly anchors: SlotAnchors;
  /** face-swap only: the portrait face's 68 points and their triangulation. */
  readonly landmarks?: readonly Vec[];
  readonly triangles?: readonly Triangle[];
}

interface Common {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly license: string;
  readonly slots: readonly PreparedSlot[];
  /** Native size of the art or portrait. */
  readonly width: number;
  readonly height: number;
  /** A small PNG of the template, for galleries. */
  readonly preview: Buffer;
}

export interface OverlayTemplate extends Common { readonly kind: 'overlay'; readonly art: Pixels; readonly opacity: number }
export interface FaceInHoleTemplate extends Common {
  readonly kind: 'face-in-hole';
  readonly art: Pixels;
  readonly backdrop: readonly [number, number, number];
  readonly tone: { readonly rgb: readonly [number, number, number]; readonly amount: number };
  readonly forehead: number;
}
export interface FaceSwapTemplate extends Common {
  readonly kind: 'face-swap';
  readonly art: Pixels;
  readonly feather: number;
  readonly blend: 'poisson' | 'feather';
}

export type Template = OverlayTemplate | FaceInHoleTemplate | FaceSwapTemplate;

export interface TemplateRegistry {
  list(): readonly Template[];
  get(id: string): Template | undefined;
  /** The template's art scaled so that its long edge is `longEdge` (cached per size). */
  artAt(template: Template, longEdge: number): Promise<Pixels>;
}

export interface PrepareOptions {
  /** Named folders a face-swap portrait may come from, e.g. { 'face-api-demo': '…/demo' }. */
  readonly assetRoots: Readonly<Record<string, string>>;
  readonly detect: DetectFn;
}

const PREVIEW_EDGE = 384;

export function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

async function rasterise(file: string, width: number, height: number): Promise<Pixels> {
  const { data, info } = await sharp(readFileSync(file), { density: 72 })
    .resize(width, height, { fit: 'fill' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 4 };
}

async function previewOf(art: Pixels, background: string): Promise<Buffer> {
  return sharp(art.data, { raw: { width: art.width, height: art.height, channels: art.channels } })
    .flatten({ background })
    .resize(PREVIEW_EDGE, PREVIEW_EDGE, { fit: 'inside' })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

async function prepareOne(loaded: LoadedDefinition, options: PrepareOptions): Promise<Template> {
  const { definition: d, dir, file } = loaded;
  const common = { id: d.id, name: d.name, description: d.description, license: d.license };
  if (d.kind === 'overlay') {
    const art = await rasterise(join(dir, d.art), d.size.width, d.size.height);
    return { ...common, kind: 'overlay', art, opacity: d.opacity, slots: d.slots, width: art.width, height: art.height,
      preview: await previewOf(art, '#e9e4da') };
  }
  if (d.kind === 'face-in-hole') {
    const art = await rasterise(join(dir, d.art), d.size.width, d.size.height);
    return { ...common, kind: 'face-in-hole', art, slots: d.slots, width: art.width, height: art.height,
      backdrop: hexToRgb(d.backdrop), tone: { rgb: hexToRgb(d.tone.colour), amount: d.tone.amount }, forehead: d.forehead,
      preview: await previewOf(art, d.backdrop) };
  }
  const [rootName, name] = d.portrait.source.split(':') as [string, string];
  const root = options.assetRoots[rootName];
  if (!root) throw new TemplateError(file, 'portrait.source', `unknown asset root "${rootName}"`);
  const { crop, longEdge } = d.portrait;
  let art: Pixels;
  try {
    const { data, info } = await sharp(readFileSync(join(root, name)))
      .rotate().extract(crop).resize(longEdge, longEdge, { fit: 'inside' }).toColourspace('srgb').removeAlpha().raw()
      .toBuffer({ resolveWithObject: true });
    art = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw new TemplateError(file, 'portrait', `cannot crop the portrait (${(error as Error).message})`);
  }
  const faces = [...await options.detect(art.data.slice(), art.width, art.height)]
    .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  const slots = d.slots.map((slot, i): PreparedSlot => {
    const face = faces[slot.face];
    if (!face) throw new TemplateError(file, `slots.${i}.face`, `the portrait has ${faces.length} face(s); index ${slot.face} does not exist`);
    return { anchors: faceAnchors(face.landmarks), landmarks: face.landmarks, triangles: delaunay(face.landmarks) };
  });
  return { ...common, kind: 'face-swap', art, slots, feather: d.feather, blend: d.blend, width: art.width, height: art.height,
    preview: await previewOf(art, '#000000') };
}

export async function prepareTemplates(definitions: readonly LoadedDefinition[], options: PrepareOptions): Promise<TemplateRegistry> {
  const templates: Template[] = [];
  for (const loaded of definitions) templates.push(await prepareOne(loaded, options));
  const byId = new Map(templates.map((t) => [t.id, t]));
  const scaledArt = new Map<string, Promise<Pixels>>();
  return {
    list: () => templates,
    get: (id) => byId.get(id),
    artAt(template, longEdge) {
      const native = Math.max(template.width, template.height);
      if (longEdge === native) return Promise.resolve(template.art);
      const key = `${template.id}@${longEdge}`;
      let cached = scaledArt.get(key);
      if (!cached) {
        const { art } = template;
        cached = sharp(art.data, { raw: { width: art.width, height: art.height, channels: art.channels } })
          .resize(longEdge, longEdge, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true })
          .then(({ data, info }) => ({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: art.channels }));
        // A handful of sizes per template at most (clients use a few); keep the cache bounded anyway.
        if (scaledArt.size >= 64) scaledArt.delete(scaledArt.keys().next().value!);
        scaledArt.set(key, cached);
      }
      return cached;
    },
  };
}

export type { TemplateKind };
