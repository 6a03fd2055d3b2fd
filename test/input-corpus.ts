import sharp from 'sharp';
import { readSample } from './samples.js';

/**
 * Inputs for the input-handling tests (formats, EXIF orientations, damaged and hostile files),
 * all derived in memory from the real sample photos. Nothing here is written to disk.
 */

export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
export const ORIENTATIONS: readonly Orientation[] = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * How to store upright pixels so that a viewer applying EXIF `orientation` shows them upright:
 * the inverse of the display transform (2 and 4 mirror, 3 turns 180°, 5 transposes, 6 is shown
 * turned 90° clockwise so it is stored turned 270°, 7 transverses, 8 the other way round from 6).
 */
const STORED: Record<Orientation, { rotate: number; flop?: boolean; flip?: boolean }> = {
  1: { rotate: 0 },
  2: { rotate: 0, flop: true },
  3: { rotate: 180 },
  4: { rotate: 0, flip: true },
  5: { rotate: 90, flop: true },
  6: { rotate: 270 },
  7: { rotate: 90, flip: true },
  8: { rotate: 90 },
};

/** Upright pixels of sample `n` resized to `width` (raw RGB), the reference the oriented copies must match. */
export async function uprightRaw(n: number, width: number): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(readSample(n)).resize(width).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Sample `n` at `width` stored so that EXIF `orientation` displays it upright, as JPEG (or PNG/WebP). */
export async function oriented(
  n: number, orientation: Orientation, width = 960, format: 'jpeg' | 'png' | 'webp' = 'jpeg',
): Promise<Buffer> {
  const up = await uprightRaw(n, width);
  const how = STORED[orientation];
  // Two passes, so the order is explicit (sharp itself mirrors before it rotates).
  const turned = await sharp(up.data, { raw: { width: up.width, height: up.height, channels: 3 } })
    .rotate(how.rotate).raw().toBuffer({ resolveWithObject: true });
  let stored = sharp(turned.data, { raw: { width: turned.info.width, height: turned.info.height, channels: 3 } });
  if (how.flop) stored = stored.flop();
  if (how.flip) stored = stored.flip();
  return stored.withMetadata({ orientation }).toFormat(format, { quality: 92 }).toBuffer();
}

/** Mean absolute difference per channel value between two same-sized raw images (0–255). */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`size mismatch: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** A JPEG whose Huffman tables are overwritten: libjpeg fails with an error, not a warning. */
export function jpegWithBrokenTables(jpeg: Uint8Array): Buffer {
  const out = Buffer.from(jpeg);
  for (let at = 2; at + 4 < out.length;) {
    const marker = out[at + 1]!;
    const length = out.readUInt16BE(at + 2);
    if (marker === 0xc4) out.fill(0xff, at + 5, at + 2 + length);
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return out;
}

/** A JPEG whose frame header (SOF) declares `width`×`height`; the scan data stays as it was. */
export function jpegDeclaring(jpeg: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let at = 2; at + 4 < out.length;) {
    const marker = out[at + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      out.writeUInt16BE(height, at + 5);
      out.writeUInt16BE(width, at + 7);
      return out;
    }
    at += 2 + out.readUInt16BE(at + 2);
  }
  throw new Error('no SOF marker');
}

/** Real files in formats the service refuses, made by sharp from sample 1. */
export async function refusedFormats(): Promise<{ gif: Buffer; tiff: Buffer; tiffBigEndian: Buffer }> {
  const small = sharp(readSample(1)).resize(96);
  return {
    gif: await small.clone().gif().toBuffer(),
    tiff: await small.clone().tiff().toBuffer(),
    tiffBigEndian: Buffer.concat([Buffer.from('MM\0*', 'latin1'), Buffer.alloc(60)]),
  };
}

/**
 * A real HEIC (HEVC-coded) photo: a 64×43 copy of sample1 encoded with libheif 1.15.1's heif-enc
 * (x265, -q 30, Debian bookworm). Kept inline because sharp cannot write HEVC.
 */
export const HEIC_SAMPLE = Buffer.from('AAAAGGZ0eXBoZWljAAAAAG1pZjFoZWljAAABqm1ldGEAAAAAAAAAIWhkbHIAAAAAAAAAAHBpY3QAAAAAAAAAAAAAAAAAAAAADnBpdG0AAAAAAAIAAAAQaWRhdAAAAAAAQAArAAAAOGlsb2MBAAAAREAAAgABAAAAAAAAAcoAAQAAAAAAAAEaAAIAAQAAAAAAAAABAAAAAAAAAAgAAAA4aWluZgAAAAAAAgAAABVpbmZlAgAAAQABAABodmMxAAAAABVpbmZlAgAAAAACAABncmlkAAAAANVpcHJwAAAAs2lwY28AAABzaHZjQwEDcAAAAAAAAAAAAB7wAPz9+PgAAA8DIAABABhAAQwB//8DcAAAAwCQAAADAAADAB66AkAhAAEAJ0IBAQNwAAADAJAAAAMAAAMAHqAggQWW6uSmubAgAAADACAAAAMAISIAAQAGRAHBc8CJAAAAFGlzcGUAAAAAAAAAQAAAAEAAAAAUaXNwZQAAAAAAAABAAAAAKwAAABBwaXhpAAAAAAMICAgAAAAaaXBtYQAAAAAAAAACAAECgQIAAgIDhAAAABppcmVmAAAAAAAAAA5kaW1nAAIAAQABAAABIm1kYXQAAAEWKAGvGYD7JPnyjWe1zlByRm3X2NwCVBoaeyteikudAFu0iRCAoORaNlrTw4r+Ti1yCZlzR+S5q2oMSZtCYKuEWlUYVmO48qB3iFVWi0qz+ET2X1+/1KXIuCMGLvGFdrLgh4FsZcnkjD6XDZOfIyjECtc7d67ZX/+yLOp7geSrwt+DVllUNbu3pI4To34FYg9FYrR30RUmajkL7MGVa1lcyNrOlP3oVydfI+CiK82oIjrymRYOybyBIqp7QQBZjQKo2BwZ1jJOS47V8rf/XzxC+/y+KekATwsLxez1Rq74fmeAgH7Diz5wBMFl0xcmUO2Xa1oRMSGqBsvFYpqnGb020g/iSnKRDVbBck0mBUyvyQSTB72cdl8=', 'base64');

/** A BMP header (Windows bitmap) followed by a few pixels. */
export const BMP_SAMPLE = Buffer.concat([Buffer.from('BM', 'latin1'), Buffer.alloc(62, 0x11)]);

/** A minimal EXIF (TIFF-structured) block: IFD0 with one entry, Orientation = `orientation`. */
export function exifBlock(order: 'II' | 'MM', orientation: number): Buffer {
  const le = order === 'II';
  const b = Buffer.alloc(26);
  const u16 = (v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  b.write(order, 0, 'latin1');
  u16(42, 2);
  u32(8, 4); // IFD0 offset
  u16(1, 8); // one entry
  u16(0x0112, 10); // Orientation
  u16(3, 12); // SHORT
  u32(1, 14); // count
  u16(orientation, 18); // value, left-justified in the 4-byte field
  return b;
}

/** `jpeg` (without EXIF) with one APP1 Exif segment per entry of `blocks`, right after SOI. */
export function jpegWithExif(jpeg: Uint8Array, ...blocks: Buffer[]): Buffer {
  const segments = blocks.map((tiff) => {
    const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(0xffe1, 0);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  });
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}
