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

/**
 * What decoding the image will cost, from the same header: the facts decode-cost.ts turns into
 * bytes, and the animation flag that makes an input refused.
 */
export interface DecodeProfile {
  readonly format: ImageFormat;
  /** Stored dimensions (orientation does not change the cost; AVIF: the largest ispe, uncropped). */
  readonly width: number;
  readonly height: number;
  /** Samples per pixel the decoder produces (palette PNG: 3, or 4 with tRNS; alpha counted). */
  readonly channels: number;
  /** Bits per sample as stored (8 or 16 for PNG, 8 or 12 for JPEG, 8/10/12 for AVIF). */
  readonly bitDepth: number;
  /**
   * Samples per pixel as the file stores them before colour conversion: JPEG with chroma
   * subsampling stores fewer (4:2:0 → 1.5 for three components), which sizes libjpeg's
   * whole-image coefficient buffer for progressive files.
   */
  readonly storedSamplesPerPixel: number;
  /** PNG Adam7 interlace or progressive JPEG: the decoder must hold the whole image. */
  readonly interlaced: boolean;
  /** WebP with the animation flag or ANIM/ANMF chunks; PNG with acTL (APNG). */
  readonly animated: boolean;
  /** WebP lossless (VP8L): libwebp keeps the whole ARGB image while decoding. */
  readonly lossless: boolean;
}

export interface HeaderFacts {
  readonly header: ImageHeader;
  readonly profile: DecodeProfile;
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

/**
 * Each format checks the declared size as soon as it knows it, before reading the cost fields,
 * so a zero-sized image is reported as that rather than as whatever damage follows.
 */
function declared<T extends { width: number; height: number }>(size: T): T {
  if (size.width < 1 || size.height < 1) throw new HeaderError('image declares no pixels');
  return size;
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
const PROGRESSIVE_SOF = new Set([0xc2, 0xc6, 0xca, 0xce]);

function jpeg(bytes: Uint8Array): HeaderFacts {
  const r = new Reader(bytes);
  let orientation = 1;
  let seenExif = false;
  for (let at = 2; ;) {
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
      const { height, width } = declared({ height: r.u16(at + 3), width: r.u16(at + 5) });
      const components = r.u8(at + 7);
      if (components < 1 || components > 4) throw new HeaderError('JPEG component count invalid');
      const factors: { h: number; v: number }[] = [];
      for (let i = 0; i < components; i++) {
        const hv = r.u8(at + 9 + i * 3);
        factors.push({ h: Math.max(1, hv >> 4), v: Math.max(1, hv & 15) });
      }
      const hMax = Math.max(...factors.map((f) => f.h));
      const vMax = Math.max(...factors.map((f) => f.v));
      return {
        header: { width, height, orientation },
        profile: {
          format: 'jpeg', width, height,
          // libvips decodes CMYK/YCCK as 4 bands, everything else as 1 or 3.
          channels: components === 4 ? 4 : components >= 3 ? 3 : 1,
          bitDepth: r.u8(at + 2),
          storedSamplesPerPixel: factors.reduce((sum, f) => sum + (f.h * f.v) / (hMax * vMax), 0),
          interlaced: PROGRESSIVE_SOF.has(marker), animated: false, lossless: false,
        },
      };
    }
    at += length;
  }
}

function png(bytes: Uint8Array): HeaderFacts {
  const r = new Reader(bytes);
  if (r.ascii(12, 4) !== 'IHDR') throw new HeaderError('PNG has no IHDR');
  const { width, height } = declared({ width: r.u32(16), height: r.u32(20) });
  let orientation = 1;
  let transparency = false;
  let animated = false;
  // eXIf, and APNG's acTL, count only before the image data: stop at the first IDAT.
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = r.u32(at);
    const type = r.ascii(at + 4, 4);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'eXIf') orientation = exifOrientation(bytes, at + 8, Math.min(bytes.length, at + 8 + length));
    else if (type === 'tRNS') transparency = true;
    else if (type === 'acTL') animated = true;
    at += 12 + length;
  }
  const colourType = r.u8(25);
  const channels = ({ 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType] ?? 4;
  const withAlpha = transparency && (colourType === 0 || colourType === 2 || colourType === 3) ? channels + 1 : channels;
  return {
    header: { width, height, orientation },
    profile: {
      format: 'png', width, height, channels: withAlpha,
      // libspng expands palettes and sub-8-bit greys to 8 bits; 16 stays 16.
      bitDepth: r.u8(24) === 16 ? 16 : 8,
      storedSamplesPerPixel: withAlpha, interlaced: r.u8(28) === 1, animated, lossless: true,
    },
  };
}

function webp(bytes: Uint8Array): HeaderFacts {
  const r = new Reader(bytes, true);
  const chunk = r.ascii(12, 4);
  let facts: Omit<DecodeProfile, 'format' | 'bitDepth' | 'interlaced'> & { orientation: number };
  if (chunk === 'VP8 ') {
    if (r.u8(23) !== 0x9d || r.u8(24) !== 0x01 || r.u8(25) !== 0x2a) throw new HeaderError('VP8 start code missing');
    facts = {
      width: r.u16(26) & 0x3fff, height: r.u16(28) & 0x3fff, orientation: 1,
      channels: 3, storedSamplesPerPixel: 1.5, animated: false, lossless: false,
    };
  } else if (chunk === 'VP8L') {
    if (r.u8(20) !== 0x2f) throw new HeaderError('VP8L signature missing');
    const bits = r.u32(21);
    facts = {
      width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, orientation: 1,
      channels: (bits >>> 28) & 1 ? 4 : 3, storedSamplesPerPixel: 4, animated: false, lossless: true,
    };
  } else if (chunk === 'VP8X') {
    const width = r.u24le(24) + 1;
    const height = r.u24le(27) + 1;
    const flags = r.u8(20);
    let orientation = 1;
    let animated = (flags & 0x02) !== 0;
    let lossless = false;
    for (let at = 12; at + 8 <= bytes.length;) {
      const type = r.ascii(at, 4);
      const length = r.u32(at + 4);
      if (type === 'EXIF') {
        // Some writers keep the JPEG-style "Exif\0\0" prefix inside the chunk.
        const start = r.ascii(at + 8, 6) === 'Exif\0\0' ? at + 14 : at + 8;
        orientation = exifOrientation(bytes, start, Math.min(bytes.length, at + 8 + length));
      } else if (type === 'ANIM' || type === 'ANMF') animated = true;
      else if (type === 'VP8L') lossless = true;
      at += 8 + length + (length & 1);
    }
    const alpha = (flags & 0x10) !== 0;
    facts = {
      width, height, orientation, channels: alpha ? 4 : 3,
      storedSamplesPerPixel: lossless ? 4 : alpha ? 2.5 : 1.5, animated, lossless,
    };
  } else {
    throw new HeaderError('unknown WebP chunk');
  }
  const { orientation, ...profile } = declared(facts);
  return {
    header: { width: profile.width, height: profile.height, orientation },
    profile: { format: 'webp', ...profile, bitDepth: 8, interlaced: false },
  };
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
 * The cost: the uncropped ispe, the deepest pixi, and an alpha auxiliary image (auxC).
 */
function avif(bytes: Uint8Array): HeaderFacts {
  const r = new Reader(bytes);
  let best: { width: number; height: number } | undefined;
  let clap: { width: number; height: number } | undefined;
  let quarterTurns = 0;
  const pixiBodies: number[] = [];
  let alpha = false;
  walkPropertyBoxes(bytes, (type, body, end) => {
    if (type === 'ispe') {
      const width = r.u32(body + 4);
      const height = r.u32(body + 8);
      if (!best || width * height > best.width * best.height) best = { width, height };
    } else if (type === 'clap') {
      clap = { width: roundFraction(r.u32(body), r.u32(body + 4)), height: roundFraction(r.u32(body + 8), r.u32(body + 12)) };
    } else if (type === 'irot') quarterTurns = r.u8(body) & 3;
    // Read after the size is checked, below, so damage there is reported first.
    else if (type === 'pixi') pixiBodies.push(body);
    else if (type === 'auxC' && r.ascii(body + 4, Math.min(44, end - body - 4)).includes('alpha')) alpha = true;
  });
  if (!best) throw new HeaderError('AVIF has no ispe property');
  const stored = clap ? { width: Math.min(clap.width, best.width), height: Math.min(clap.height, best.height) } : best;
  const header = declared(quarterTurns % 2 === 1
    ? { width: stored.height, height: stored.width, orientation: 1 }
    : { ...stored, orientation: 1 });
  let bitDepth = 8;
  let maxPixiChannels = 0;
  for (const body of pixiBodies) {
    const count = r.u8(body + 4);
    for (let i = 0; i < count; i++) bitDepth = Math.max(bitDepth, r.u8(body + 5 + i));
    // The alpha plane has a pixi of its own with one channel: greyscale only if no pixi has more.
    maxPixiChannels = Math.max(maxPixiChannels, count);
  }
  const channels = (maxPixiChannels === 1 ? 1 : 3) + (alpha ? 1 : 0);
  return {
    header,
    profile: {
      format: 'avif', width: best.width, height: best.height, channels, bitDepth,
      storedSamplesPerPixel: channels, interlaced: false, animated: false, lossless: false,
    },
  };
}

/**
 * Size, orientation and decode cost in one walk of the header (JPEG markers, PNG chunks, WebP
 * chunks, AVIF property boxes). Throws HeaderError on a damaged header or one declaring no pixels.
 */
export function readHeader(bytes: Uint8Array, format: ImageFormat): HeaderFacts {
  return { jpeg, png, webp, avif }[format](bytes);
}

/** Width and height as the person sees the photo, after EXIF orientation. */
export function uprightSize(header: ImageHeader): { width: number; height: number } {
  return header.orientation >= 5
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}
