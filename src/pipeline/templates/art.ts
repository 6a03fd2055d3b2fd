import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { Raster } from '../../imaging/raster.js';

/** Loading template art at boot (templates are not user data: nothing here is wiped). */
const PREVIEW_EDGE = 384;

export function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** An SVG or PNG of the template folder as RGBA at exactly `width` × `height`. */
export async function rasterise(file: string, width: number, height: number): Promise<Raster> {
  const { data, info } = await sharp(readFileSync(file), { density: 72 })
    .resize(width, height, { fit: 'fill' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 4 };
}

/** A small PNG of the art over `background`, for galleries. */
export async function previewOf(art: Raster, background: string): Promise<Buffer> {
  return sharp(art.data, { raw: { width: art.width, height: art.height, channels: art.channels } })
    .flatten({ background })
    .resize(PREVIEW_EDGE, PREVIEW_EDGE, { fit: 'inside' })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** `art` scaled so that its long edge is `longEdge`. */
export async function scaleArt(art: Raster, longEdge: number): Promise<Raster> {
  const { data, info } = await sharp(art.data, { raw: { width: art.width, height: art.height, channels: art.channels } })
    .resize(longEdge, longEdge, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: art.channels };
}
