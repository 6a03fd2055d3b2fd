/* global Buffer */
// Small uploads that cost a lot to decode (issue 13, item 2), generated in memory for the tests,
// scripts/measure-decode-cost.mjs and scripts/bench-amplification.mjs. Nothing is written to disk.
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** One PNG chunk: length, type, data, CRC over type and data. */
export function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** `png` with `chunks` inserted right after IHDR (where text and acTL chunks may sit). */
export function pngWithChunks(png, chunks) {
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/** A zTXt chunk whose text inflates to `textBytes` bytes of 'a'. */
export function zTxtChunk(keyword, textBytes) {
  return pngChunk('zTXt', Buffer.concat([Buffer.from(`${keyword}\0\0`, 'latin1'), deflateSync(Buffer.alloc(textBytes, 'a'), { level: 9 })]));
}

/** A small PNG carrying `count` zTXt chunks of `textBytes` inflated bytes each (the issue's: 50 × ~28 MB in 658 KB). */
export async function zTxtPng(count = 50, textBytes = 28 * 1024 * 1024, photo = undefined) {
  const png = photo ?? await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
  return pngWithChunks(png, Array.from({ length: count }, (_, i) => zTxtChunk(`Comment${i}`, textBytes)));
}

/** An interlaced 16-bit RGBA PNG of side×side with flat content: a few hundred KB on the wire. */
export function interlacedPng16(side = 7071) {
  return sharp({ create: { width: side, height: side, channels: 4, background: { r: 120, g: 90, b: 60, alpha: 1 } } })
    .toColourspace('rgb16').png({ progressive: true, compressionLevel: 9 }).toBuffer();
}

/** A progressive 4:4:4 JPEG of width×height with flat content. */
export function progressiveJpeg444(width = 8000, height = 6000) {
  return sharp({ create: { width, height, channels: 3, background: '#7a5a3c' } })
    .jpeg({ progressive: true, chromaSubsampling: '4:4:4', quality: 90 }).toBuffer();
}

function riffChunk(type, data) {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, data.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** An animated WebP: a side×side canvas (VP8X + ANIM) with `frames` frames of one tiny lossless image. */
export async function animatedWebp(side = 7000, frames = 2) {
  const still = await sharp({ create: { width: 16, height: 16, channels: 4, background: '#336699' } }).webp({ lossless: true }).toBuffer();
  const vp8l = still.subarray(12); // the VP8L chunk, header included
  const vp8x = Buffer.alloc(10);
  vp8x[0] = 0x02 | 0x10; // animation, alpha
  vp8x.writeUIntLE(side - 1, 4, 3);
  vp8x.writeUIntLE(side - 1, 7, 3);
  const anim = Buffer.alloc(6); // background colour 0, loop count 0
  const frame = (i) => {
    const head = Buffer.alloc(16);
    head.writeUIntLE(Math.min(i * 8, side - 16) >> 1, 0, 3); // x/2
    head.writeUIntLE(0, 3, 3);
    head.writeUIntLE(15, 6, 3); // width-1
    head.writeUIntLE(15, 9, 3); // height-1
    head.writeUIntLE(100, 12, 3); // duration
    head[15] = 0;
    return riffChunk('ANMF', Buffer.concat([head, vp8l]));
  };
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), riffChunk('VP8X', vp8x), riffChunk('ANIM', anim),
    ...Array.from({ length: frames }, (_, i) => frame(i))]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** An APNG: a still PNG with an acTL chunk (and one fcTL) before its IDAT. */
export async function apng(side = 64) {
  const png = await sharp({ create: { width: side, height: side, channels: 3, background: '#808080' } }).png().toBuffer();
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(1, 0); // frames
  const fctl = Buffer.alloc(26);
  fctl.writeUInt32BE(0, 0);
  fctl.writeUInt32BE(side, 4);
  fctl.writeUInt32BE(side, 8);
  fctl.writeUInt16BE(1, 20);
  fctl.writeUInt16BE(10, 22);
  return pngWithChunks(png, [pngChunk('acTL', actl), pngChunk('fcTL', fctl)]);
}
