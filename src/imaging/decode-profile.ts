import { walkPropertyBoxes } from './isobmff.js';
import type { ImageFormat } from './sniff.js';

/**
 * What decoding an image will cost, read from its header without decoding: the facts
 * decode-cost.ts turns into bytes, and the animation flag that makes an input refused.
 * Kept apart from header.ts (size and orientation), which every request needs either way.
 */
export interface DecodeProfile {
  readonly format: ImageFormat;
  /** Stored dimensions (orientation does not change the cost). */
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

export class ProfileError extends Error {}

const u8 = (b: Uint8Array, at: number): number => {
  const v = b[at];
  if (v === undefined) throw new ProfileError('header truncated');
  return v;
};
const u16be = (b: Uint8Array, at: number): number => (u8(b, at) << 8) | u8(b, at + 1);
const u32be = (b: Uint8Array, at: number): number => ((u16be(b, at) * 0x10000) + u16be(b, at + 2)) >>> 0;
const u32le = (b: Uint8Array, at: number): number => (u8(b, at) | (u8(b, at + 1) << 8) | (u8(b, at + 2) << 16)) + u8(b, at + 3) * 0x1000000;
const u24le = (b: Uint8Array, at: number): number => u8(b, at) | (u8(b, at + 1) << 8) | (u8(b, at + 2) << 16);
const ascii = (b: Uint8Array, at: number, n: number): string => {
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode(u8(b, at + i));
  return out;
};

const PROGRESSIVE_SOF = new Set([0xc2, 0xc6, 0xca, 0xce]);
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegProfile(b: Uint8Array): DecodeProfile {
  for (let at = 2; ;) {
    if (u8(b, at) !== 0xff) throw new ProfileError('JPEG marker expected');
    let marker = u8(b, at + 1);
    while (marker === 0xff) marker = u8(b, ++at + 1);
    at += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) throw new ProfileError('JPEG has no frame header');
    const length = u16be(b, at);
    if (length < 2) throw new ProfileError('JPEG segment length invalid');
    if (SOF.has(marker)) {
      const components = u8(b, at + 7);
      if (components < 1 || components > 4) throw new ProfileError('JPEG component count invalid');
      const factors: { h: number; v: number }[] = [];
      for (let i = 0; i < components; i++) {
        const hv = u8(b, at + 9 + i * 3);
        factors.push({ h: Math.max(1, hv >> 4), v: Math.max(1, hv & 15) });
      }
      const hMax = Math.max(...factors.map((f) => f.h));
      const vMax = Math.max(...factors.map((f) => f.v));
      return {
        format: 'jpeg',
        width: u16be(b, at + 5),
        height: u16be(b, at + 3),
        // libvips decodes CMYK/YCCK as 4 bands, everything else as 1 or 3.
        channels: components === 4 ? 4 : components >= 3 ? 3 : 1,
        bitDepth: u8(b, at + 2),
        storedSamplesPerPixel: factors.reduce((sum, f) => sum + (f.h * f.v) / (hMax * vMax), 0),
        interlaced: PROGRESSIVE_SOF.has(marker),
        animated: false,
        lossless: false,
      };
    }
    at += length;
  }
}

function pngProfile(b: Uint8Array): DecodeProfile {
  if (ascii(b, 12, 4) !== 'IHDR') throw new ProfileError('PNG has no IHDR');
  const colourType = u8(b, 25);
  let transparency = false;
  let animated = false;
  for (let at = 8; at + 8 <= b.length;) {
    const length = u32be(b, at);
    const type = ascii(b, at + 4, 4);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'tRNS') transparency = true;
    // APNG: acTL must come before the first IDAT.
    if (type === 'acTL') animated = true;
    at += 12 + length;
  }
  const channels = ({ 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType] ?? 4;
  const withAlpha = transparency && (colourType === 0 || colourType === 2 || colourType === 3) ? channels + 1 : channels;
  // libspng expands palettes and sub-8-bit greys to 8 bits; 16 stays 16.
  const bitDepth = u8(b, 24) === 16 ? 16 : 8;
  return {
    format: 'png', width: u32be(b, 16), height: u32be(b, 20), channels: withAlpha, bitDepth,
    storedSamplesPerPixel: withAlpha, interlaced: u8(b, 28) === 1, animated, lossless: true,
  };
}

function webpProfile(b: Uint8Array): DecodeProfile {
  const chunk = ascii(b, 12, 4);
  const base = { format: 'webp' as const, bitDepth: 8, interlaced: false };
  if (chunk === 'VP8 ') {
    return { ...base, width: (u8(b, 26) | (u8(b, 27) << 8)) & 0x3fff, height: (u8(b, 28) | (u8(b, 29) << 8)) & 0x3fff, channels: 3, storedSamplesPerPixel: 1.5, animated: false, lossless: false };
  }
  if (chunk === 'VP8L') {
    const bits = u32le(b, 21);
    const alpha = Math.floor(bits / 0x10000000) & 1;
    return { ...base, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, channels: alpha ? 4 : 3, storedSamplesPerPixel: 4, animated: false, lossless: true };
  }
  if (chunk === 'VP8X') {
    const flags = u8(b, 20);
    let animated = (flags & 0x02) !== 0;
    let lossless = false;
    for (let at = 12; at + 8 <= b.length;) {
      const type = ascii(b, at, 4);
      const length = u32le(b, at + 4);
      if (type === 'ANIM' || type === 'ANMF') animated = true;
      if (type === 'VP8L') lossless = true;
      at += 8 + length + (length & 1);
    }
    const alpha = (flags & 0x10) !== 0;
    return {
      ...base, width: u24le(b, 24) + 1, height: u24le(b, 27) + 1, channels: alpha ? 4 : 3,
      storedSamplesPerPixel: lossless ? 4 : alpha ? 2.5 : 1.5, animated, lossless,
    };
  }
  throw new ProfileError('unknown WebP chunk');
}

/** AVIF: the largest ispe, the deepest pixi, and an alpha auxiliary image (auxC). */
function avifProfile(b: Uint8Array): DecodeProfile {
  let width = 0;
  let height = 0;
  let bitDepth = 8;
  let maxPixiChannels = 0;
  let alpha = false;
  walkPropertyBoxes(b, (type, body, end) => {
    if (type === 'ispe') {
      const w = u32be(b, body + 4);
      const h = u32be(b, body + 8);
      if (w * h > width * height) { width = w; height = h; }
    } else if (type === 'pixi') {
      const count = u8(b, body + 4);
      for (let i = 0; i < count; i++) bitDepth = Math.max(bitDepth, u8(b, body + 5 + i));
      // The alpha plane has a pixi of its own with one channel: greyscale only if no pixi has more.
      maxPixiChannels = Math.max(maxPixiChannels, count);
    } else if (type === 'auxC') {
      if (ascii(b, body + 4, Math.min(44, end - body - 4)).includes('alpha')) alpha = true;
    }
  });
  if (width === 0) throw new ProfileError('AVIF has no ispe property');
  const colourChannels = maxPixiChannels === 1 ? 1 : 3;
  const channels = colourChannels + (alpha ? 1 : 0);
  return {
    format: 'avif', width, height, channels, bitDepth,
    storedSamplesPerPixel: channels, interlaced: false, animated: false, lossless: false,
  };
}

export function readDecodeProfile(bytes: Uint8Array, format: ImageFormat): DecodeProfile {
  return { jpeg: jpegProfile, png: pngProfile, webp: webpProfile, avif: avifProfile }[format](bytes);
}
