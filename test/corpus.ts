import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { readSample } from './samples.js';

/**
 * Good and bad inputs derived in memory from the real sample photos, shared by the API, privacy
 * and syscall tests. Nothing here is written to disk.
 */

export { withJpegComment } from '../scripts/jpeg-comment.mjs';

/** sample `n` stored sideways with EXIF orientation `orientation`, so that it displays upright. */
export async function exifRotated(n: number, orientation: 6 | 8 | 3): Promise<Buffer> {
  // Orientation 6 means "rotate 90° clockwise to display": store the pixels rotated the other way.
  const storedRotation = { 6: 270, 8: 90, 3: 180 }[orientation];
  const stored = await sharp(readSample(n)).rotate(storedRotation).jpeg({ quality: 90 }).toBuffer();
  return sharp(stored).withMetadata({ orientation }).jpeg({ quality: 90 }).toBuffer();
}

/** A phone-sized photo: sample `n` scaled to `megapixels` (4:3), JPEG. */
export async function phonePhoto(n: number, megapixels: 12 | 48): Promise<Buffer> {
  const [width, height] = megapixels === 48 ? [8064, 6048] : [4032, 3024];
  return sharp(readSample(n)).resize(width, height, { fit: 'cover' }).jpeg({ quality: 85 }).toBuffer();
}

export async function asFormat(n: number, format: 'png' | 'webp' | 'avif'): Promise<Buffer> {
  return sharp(readSample(n)).resize(960).toFormat(format).toBuffer();
}

/** The first `fraction` of a JPEG: the header is intact, the scan data is cut off. */
export function truncated(bytes: Uint8Array, fraction = 0.5): Buffer {
  return Buffer.from(bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A decompression bomb: a PNG of about a kilobyte whose header declares `side`×`side` grey
 * pixels (40000² = 1.6 G pixels). Only 16 rows of data follow: the header is what must be refused.
 */
export function pngBomb(side = 40_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc((side + 1) * 16);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const notImages = {
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>'),
  pdf: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  html: Buffer.from('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>'),
  random: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
  gif: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'),
} as const;

/**
 * Effect requests for the privacy proofs: one template of each kind (and a two-slot one), every
 * output format, and a photo without a face. `expected` is the status each must get.
 */
export async function effectCorpus(): Promise<{ name: string; template: string; bytes: Uint8Array; fields: Record<string, string>; expected: number }[]> {
  const noFace = await sharp(readSample(1)).extract({ left: 0, top: 900, width: 600, height: 380 }).jpeg().toBuffer();
  return [
    { name: 'overlay → jpeg', template: 'royal-crown', bytes: readSample(1), fields: { format: 'jpeg' }, expected: 200 },
    { name: 'face-in-hole → png', template: 'astronaut', bytes: readSample(2), fields: { format: 'png', maxSize: '512' }, expected: 200 },
    { name: 'face-swap → webp', template: 'portrait-swap', bytes: readSample(3), fields: { format: 'webp' }, expected: 200 },
    { name: 'two slots → avif', template: 'superhero-duo', bytes: readSample(4), fields: { format: 'avif', maxSize: '512' }, expected: 200 },
    { name: 'effect on a photo without a face', template: 'astronaut', bytes: noFace, fields: {}, expected: 422 },
    { name: 'effect on a truncated JPEG', template: 'duo-swap', bytes: truncated(readSample(5)), fields: {}, expected: 422 },
  ];
}

/**
 * Good and bad uploads for the no-disk proofs: big, rotated and every accepted format, then
 * every kind of refusal. Each proof puts its own sample photos in front.
 */
export async function uploadCorpus(): Promise<[string, Uint8Array][]> {
  return [
    ['48 MP photo', await phonePhoto(3, 48)],
    ['12 MP photo', await phonePhoto(5, 12)],
    ['EXIF orientation 6', await exifRotated(2, 6)],
    ['EXIF orientation 3', await exifRotated(6, 3)],
    ['PNG', await asFormat(3, 'png')],
    ['WebP', await asFormat(4, 'webp')],
    ['AVIF', await asFormat(5, 'avif')],
    ['truncated JPEG', truncated(readSample(2))],
    ['PNG bomb', pngBomb()],
    ['SVG', notImages.svg],
    ['PDF', notImages.pdf],
    ['HTML', notImages.html],
    ['random bytes', notImages.random],
    ['GIF', notImages.gif],
  ];
}
