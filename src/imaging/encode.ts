import sharp from 'sharp';
import type { WipeLedger } from '../privacy/wipe-ledger.js';
import type { Raster } from './raster.js';

export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const MIME_TYPES: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif',
};

/**
 * Encodes composited RGB pixels. JPEG skips Huffman-table optimisation: measured 14.4 → 6.2 ms
 * for a 1024×1365 picture (median of 15) for a few per cent more bytes — the mobile app wants
 * the picture fast. The encoder starts from raw pixels, so nothing of the input's
 * metadata (EXIF, GPS, XMP, ICC, comments) can reach the output; sharp adds none unless asked.
 */
export async function encodeImage(image: Raster, format: OutputFormat, quality: number, ledger: WipeLedger): Promise<Buffer> {
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  const encoded = format === 'jpeg' ? pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0', optimiseCoding: false })
    : format === 'png' ? pipeline.png({ compressionLevel: 6, adaptiveFiltering: false })
      : format === 'webp' ? pipeline.webp({ quality, effort: 2 })
        : pipeline.avif({ quality: Math.max(1, Math.round(quality * 0.8)), effort: 2 });
  return ledger.track(await encoded.toBuffer());
}
