import { walkPropertyBoxes } from './isobmff.js';
import type { ImageFormat } from './sniff.js';

/**
 * Dimensions and EXIF orientation read from the image's header, without decoding and without
 * sharp.metadata() (which copies comments and XMP into JS strings that cannot be wiped).
 * Reading the header first lets a decompression bomb — a small file declaring a huge canvas —
 * be refused before libvips allocates anything.
 */
export interface ImageHeader {
  /** Stored dimensions, before EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  readonly orientation: number;
}

/** Thrown on a header that is truncated or inconsistent; the caller maps it to a 422. */
export class HeaderError extends Error {}

class Reader {
  constructor(readonly bytes: Uint8Array, private readonly littleEndian = false) {}
  u8(at: number): number {
    const v = this.bytes[at];
    if (v === undefined) throw new HeaderError('header truncated');
    return v;
  }
  u16(at: number): number {
    const a = this.u8(at);
    const b = this.u8(at + 1);
    return this.littleEndian ? a | (b << 8) : (a << 8) | b;
  }
  u24le(at: number): number {
    return this.u8(at) | (this.u8(at + 1) << 8) | (this.u8(at + 2) << 16);
  }
  u32(at: number): number {
    const a = this.u16(at);
    const b = this.u16(at + 2);
    return (this.littleEndian ? (b * 0x10000 + a) : (a * 0x10000 + b)) >>> 0;
  }
  ascii(at: number, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.u8(at + i));
    return out;
  }
}

/** Orientation tag (0x0112) of a TIFF-structured EXIF block starting at `start`. */
function exifOrientation(bytes: Uint8Array, start: number, end: number): number {
  try {
    const order = new Reader(bytes).ascii(start, 2);
    if (order !== 'II' && order !== 'MM') return 1;
    const r = new Reader(bytes, order === 'II');
    const ifd = start + r.u32(start + 4);
    const count = r.u16(ifd);
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12;
      if (entry + 12 > end) return 1;
      if (r.u16(entry) === 0x0112) {
        const value = r.u16(entry + 8);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
  } catch {
    // A damaged EXIF block is not fatal: libvips ignores it the same way.
  }
  return 1;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegHeader(bytes: Uint8Array): ImageHeader {
  const r = new Reader(bytes);
  let orientation = 1;
  let seenExif = false;
  let at = 2;
  for (;;) {
    if (r.u8(at) !== 0xff) throw new HeaderError('JPEG marker expected');
    let marker = r.u8(at + 1);
    while (marker === 0xff) marker = r.u8(++at + 1);
    at += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) throw new HeaderError('JPEG has no frame header');
    const length = r.u16(at);
    if (length < 2) throw new HeaderError('JPEG segment length invalid');
    // The first Exif APP1 counts, as in libvips (later ones are ignored by it too).
    if (marker === 0xe1 && !seenExif && r.ascii(at + 2, 6) === 'Exif\0\0') {
      seenExif = true;
      orientation = exifOrientation(bytes, at + 8, Math.min(bytes.length, at + length));
    }
    if (SOF_MARKERS.has(marker)) {
      return { height: r.u16(at + 3), width: r.u16(at + 5), orientation };
    }
    at += length;
  }
}

function pngHeader(bytes: Uint8Array): ImageHeader {
  const r = new Reader(bytes);
  if (r.ascii(12, 4) !== 'IHDR') throw new HeaderError('PNG has no IHDR');
  const width = r.u32(16);
  const height = r.u32(20);
  let orientation = 1;
  // eXIf must precede IDAT; stop at the first image data chunk.
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = r.u32(at);
    const type = r.ascii(at + 4, 4);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'eXIf') orientation = exifOrientation(bytes, at + 8, Math.min(bytes.length, at + 8 + length));
    at += 12 + length;
  }
  return { width, height, orientation };
}

function webpHeader(bytes: Uint8Array): ImageHeader {
  const r = new Reader(bytes, true);
  const chunk = r.ascii(12, 4);
  if (chunk === 'VP8 ') {
    if (r.u8(23) !== 0x9d || r.u8(24) !== 0x01 || r.u8(25) !== 0x2a) throw new HeaderError('VP8 start code missing');
    return { width: r.u16(26) & 0x3fff, height: r.u16(28) & 0x3fff, orientation: 1 };
  }
  if (chunk === 'VP8L') {
    if (r.u8(20) !== 0x2f) throw new HeaderError('VP8L signature missing');
    const bits = r.u32(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, orientation: 1 };
  }
  if (chunk === 'VP8X') {
    const width = r.u24le(24) + 1;
    const height = r.u24le(27) + 1;
    let orientation = 1;
    for (let at = 12; at + 8 <= bytes.length;) {
      const type = r.ascii(at, 4);
      const length = r.u32(at + 4);
      if (type === 'EXIF') {
        // Some writers keep the JPEG-style "Exif\0\0" prefix inside the chunk.
        const start = r.ascii(at + 8, 6) === 'Exif\0\0' ? at + 14 : at + 8;
        orientation = exifOrientation(bytes, start, Math.min(bytes.length, at + 8 + length));
      }
      at += 8 + length + (length & 1);
    }
    return { width, height, orientation };
  }
  throw new HeaderError('unknown WebP chunk');
}

/** libheif's Fraction::round(): (n + d/2) / d in integers. */
function roundFraction(n: number, d: number): number {
  if (d === 0) throw new HeaderError('AVIF clean aperture has a zero denominator');
  return Math.floor((n + Math.floor(d / 2)) / d);
}

/**
 * AVIF: the largest 'ispe' (image spatial extent) property in meta/iprp/ipco, cropped by a
 * 'clap' (clean aperture) to round(width) × round(height) as libheif crops while decoding, then
 * with width and height swapped when an 'irot' rotates by 90° or 270°. libheif applies them in
 * the order of the item's property associations, which MIAF fixes as clap, irot, imir; a file
 * in another order decodes to a size this header does not predict and checkDecodedSize() refuses
 * it (422). libheif refuses an aperture reaching outside the image (422 as well).
 */
function avifHeader(bytes: Uint8Array): ImageHeader {
  const r = new Reader(bytes);
  let best: { width: number; height: number } | undefined;
  let clap: { width: number; height: number } | undefined;
  let quarterTurns = 0;
  walkPropertyBoxes(bytes, (type, body) => {
    if (type === 'ispe') {
      const width = r.u32(body + 4);
      const height = r.u32(body + 8);
      if (!best || width * height > best.width * best.height) best = { width, height };
    } else if (type === 'clap') {
      clap = { width: roundFraction(r.u32(body), r.u32(body + 4)), height: roundFraction(r.u32(body + 8), r.u32(body + 12)) };
    } else if (type === 'irot') quarterTurns = r.u8(body) & 3;
  });
  if (!best) throw new HeaderError('AVIF has no ispe property');
  const stored = clap ? { width: Math.min(clap.width, best.width), height: Math.min(clap.height, best.height) } : best;
  return quarterTurns % 2 === 1
    ? { width: stored.height, height: stored.width, orientation: 1 }
    : { ...stored, orientation: 1 };
}

export function readHeader(bytes: Uint8Array, format: ImageFormat): ImageHeader {
  const header = {
    jpeg: jpegHeader, png: pngHeader, webp: webpHeader, avif: avifHeader,
  }[format](bytes);
  if (header.width < 1 || header.height < 1) throw new HeaderError('image declares no pixels');
  return header;
}

/** Width and height as the person sees the photo, after EXIF orientation. */
export function uprightSize(header: ImageHeader): { width: number; height: number } {
  return header.orientation >= 5
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}
