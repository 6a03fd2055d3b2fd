import { inflateSync } from 'node:zlib';
import type { ImageFormat } from './sniff.js';

/**
 * Text and metadata never reach libvips: it would inflate and copy them all (a 658 KB PNG with
 * 50 zTXt chunks raised RSS by 1.4 GB), and the service needs none of them. Orientation is read
 * by header.ts from the original bytes and applied explicitly, so EXIF is not needed either.
 * What affects the pixels stays: PNG transparency and colour chunks (an ICC profile only while
 * it inflates to at most MAX_ICC_BYTES), JPEG JFIF/ICC/Adobe segments, WebP ICCP/ALPH.
 *
 * The result is a new buffer holding the image (the caller registers it with the request's wipe
 * ledger), or the input itself when there was nothing to strip. AVIF is left as it is: its Exif
 * and XMP items are stored, not compressed, so they cost at most their share of the upload.
 */
export const MAX_ICC_BYTES = 4 * 1024 * 1024;

export interface Stripped {
  readonly bytes: Uint8Array;
  /** True when `bytes` is a new copy (to be tracked by the ledger and wiped). */
  readonly copied: boolean;
  /** Bytes of the input left out. */
  readonly removedBytes: number;
}

type Span = readonly [start: number, end: number];

/** Copies `input` without the `drop` spans (sorted, disjoint); `patch` edits the copy. */
function without(input: Uint8Array, drop: readonly Span[], patch?: (copy: Uint8Array) => void): Stripped {
  if (drop.length === 0) return { bytes: input, copied: false, removedBytes: 0 };
  const removed = drop.reduce((sum, [s, e]) => sum + (e - s), 0);
  const copy = new Uint8Array(input.length - removed);
  let from = 0;
  let to = 0;
  for (const [start, end] of drop) {
    copy.set(input.subarray(from, start), to);
    to += start - from;
    from = end;
  }
  copy.set(input.subarray(from), to);
  patch?.(copy);
  return { bytes: copy, copied: true, removedBytes: removed };
}

const ascii = (b: Uint8Array, at: number, n: number): string => String.fromCharCode(...b.subarray(at, at + n));
const u32be = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u32le = (b: Uint8Array, at: number): number => ((b[at + 3]! << 24) | (b[at + 2]! << 16) | (b[at + 1]! << 8) | b[at]!) >>> 0;

/** Ancillary PNG chunks that change how the pixels look; every other ancillary chunk goes. */
const PNG_KEEP = new Set(['tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'bKGD', 'pHYs', 'cICP', 'mDCv', 'cLLi']);

function iccInflatesWithinBound(data: Uint8Array): boolean {
  const nul = data.indexOf(0);
  if (nul < 0 || nul + 2 > data.length) return false;
  try {
    const profile = inflateSync(data.subarray(nul + 2), { maxOutputLength: MAX_ICC_BYTES });
    profile.fill(0);
    return true;
  } catch {
    return false; // too large or not valid zlib: dropped, the image is treated as sRGB
  }
}

function stripPng(b: Uint8Array): Stripped {
  const drop: Span[] = [];
  for (let at = 8; at + 12 <= b.length;) {
    const length = u32be(b, at);
    const end = at + 12 + length;
    if (end > b.length) break; // damaged: libvips reports it
    const type = ascii(b, at + 4, 4);
    if (type === 'IEND') {
      if (end < b.length) drop.push([end, b.length]); // nothing after IEND is an image
      break;
    }
    const ancillary = (b[at + 4]! & 0x20) !== 0;
    if (ancillary && (!PNG_KEEP.has(type) || (type === 'iCCP' && !iccInflatesWithinBound(b.subarray(at + 8, at + 8 + length))))) {
      drop.push([at, end]);
    }
    at = end;
  }
  return without(b, drop);
}

/** JPEG segments kept before the scan: JFIF (APP0), ICC profiles (APP2), Adobe colour transform (APP14). */
function keepJpegSegment(marker: number, b: Uint8Array, body: number): boolean {
  if (marker === 0xfe) return false; // COM
  if (marker < 0xe0 || marker > 0xef) return true; // not an APPn: tables, frame header, restart interval
  if (marker === 0xe0 || marker === 0xee) return true;
  if (marker === 0xe2) return ascii(b, body, 12) === 'ICC_PROFILE\0';
  return false; // Exif, XMP, IPTC, MPF, vendor APPn
}

function stripJpeg(b: Uint8Array): Stripped {
  const drop: Span[] = [];
  for (let at = 2; at + 4 <= b.length;) {
    if (b[at] !== 0xff) break;
    const marker = b[at + 1]!;
    if (marker === 0xff) { at += 1; continue; }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; }
    if (marker === 0xda || marker === 0xd9) break; // scan data: copied as it is
    const length = (b[at + 2]! << 8) | b[at + 3]!;
    const end = at + 2 + length;
    if (length < 2 || end > b.length) break;
    if (!keepJpegSegment(marker, b, at + 4)) drop.push([at, end]);
    at = end;
  }
  return without(b, drop);
}

const WEBP_KEEP = new Set(['VP8X', 'VP8 ', 'VP8L', 'ALPH', 'ICCP', 'ANIM', 'ANMF']);

function stripWebp(b: Uint8Array): Stripped {
  if (ascii(b, 12, 4) !== 'VP8X') return { bytes: b, copied: false, removedBytes: 0 }; // simple formats carry no metadata
  const riffEnd = Math.min(b.length, 8 + u32le(b, 4));
  const drop: Span[] = [];
  let at = 12;
  for (; at + 8 <= riffEnd;) {
    const length = u32le(b, at + 4);
    const end = at + 8 + length + (length & 1);
    if (end > riffEnd) break;
    if (!WEBP_KEEP.has(ascii(b, at, 4))) drop.push([at, end]);
    at = end;
  }
  if (riffEnd < b.length) drop.push([riffEnd, b.length]);
  return without(b, drop, (copy) => {
    const size = copy.length - 8;
    copy[4] = size & 0xff; copy[5] = (size >>> 8) & 0xff; copy[6] = (size >>> 16) & 0xff; copy[7] = (size >>> 24) & 0xff;
    copy[20] = copy[20]! & ~(0x08 | 0x04); // VP8X flags: no EXIF, no XMP
  });
}

export function stripMetadata(bytes: Uint8Array, format: ImageFormat): Stripped {
  switch (format) {
    case 'png': return stripPng(bytes);
    case 'jpeg': return stripJpeg(bytes);
    case 'webp': return stripWebp(bytes);
    case 'avif': return { bytes, copied: false, removedBytes: 0 };
  }
}
