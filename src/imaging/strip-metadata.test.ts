import { readFileSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { animatedWebp, apng, pngChunk, pngWithChunks, zTxtPng } from '../../scripts/hostile-images.mjs';
import { withJpegComment } from '../../test/corpus.js';
import { exifBlock, jpegWithExif } from '../../test/input-corpus.js';
import { readSample } from '../../test/samples.js';
import { isAppError } from '../errors.js';
import { isZeroed, WipeLedger, type Wipeable } from '../privacy/wipe-ledger.js';
import { decodeToMaxSide, inspect } from './decode.js';
import { stripMetadata } from './strip-metadata.js';

const limits = { maxInputPixels: 50_000_000 };
const MiB = 1024 * 1024;

const chunkTypes = (png: Uint8Array): string[] => {
  const types: string[] = [];
  const b = Buffer.from(png.buffer, png.byteOffset, png.length);
  for (let at = 8; at + 8 <= b.length; at += 12 + b.readUInt32BE(at)) types.push(b.toString('latin1', at + 4, at + 8));
  return types;
};
const rawOf = async (bytes: Uint8Array): Promise<Buffer> => sharp(bytes).raw().toBuffer();
const peakRss = (): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]) * 1024;
const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]) * 1024;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return `${error.status} ${error.code}`;
    throw error;
  }
  return 'no error';
}

describe('stripMetadata: PNG', () => {
  it('drops text, EXIF, time and unknown ancillary chunks; keeps transparency and colour; pixels unchanged', async () => {
    const plain = await sharp(readSample(2)).resize(200).ensureAlpha(0.8).png().toBuffer();
    const text = (type: string, body: string): Buffer => pngChunk(type, Buffer.from(body, 'latin1'));
    const gama = pngChunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]));
    const noisy = pngWithChunks(plain, [
      text('tEXt', 'Comment\0hello'), pngChunk('zTXt', Buffer.concat([Buffer.from('Big\0\0'), deflateSync(Buffer.alloc(MiB, 'a'))])),
      text('iTXt', 'XML:com.adobe.xmp\0\0\0\0\0<x/>'), text('tIME', '\x07\xea\x0b\x1e\x0c\x00\x00'), text('prVt', 'vendor data'), gama,
    ]);
    const stripped = stripMetadata(noisy, 'png');
    expect(stripped.copied).toBe(true);
    expect(chunkTypes(stripped.bytes)).toEqual(['IHDR', 'gAMA', ...chunkTypes(plain).slice(1)]);
    expect(await rawOf(stripped.bytes)).toEqual(await rawOf(pngWithChunks(plain, [gama])));
  });

  it('keeps an ICC profile of sane size, drops one that inflates past the bound', async () => {
    const tagged = await sharp(readSample(1)).resize(64).withIccProfile('p3').png().toBuffer();
    expect(chunkTypes(tagged)).toContain('iCCP');
    expect(stripMetadata(tagged, 'png').copied).toBe(false);
    const iccBomb = pngChunk('iCCP', Buffer.concat([Buffer.from('x\0\0'), deflateSync(Buffer.alloc(64 * MiB))]));
    const bombed = pngWithChunks(await sharp(readSample(1)).resize(64).png().toBuffer(), [iccBomb]);
    expect(chunkTypes(stripMetadata(bombed, 'png').bytes)).not.toContain('iCCP');
  });

  it('a PNG without metadata is passed on as it is, not copied', async () => {
    const plain = await sharp(readSample(3)).resize(100).png().toBuffer();
    expect(stripMetadata(plain, 'png')).toEqual({ bytes: plain, copied: false, removedBytes: 0 });
  });

  it('issue case, scaled down: 20 zTXt chunks of 4 MiB text each decode with no more memory than the plain image', async () => {
    const photo = await sharp(readSample(1)).resize(640).png().toBuffer();
    const bomb = await zTxtPng(20, 4 * MiB, photo);
    expect(bomb.length - photo.length).toBeLessThan(100 * 1024);
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM (procfs control, not a file)
    const before = rss();
    const ledger = new WipeLedger();
    const decoded = await decodeToMaxSide(bomb, 512, limits, ledger);
    const grew = peakRss() - before;
    ledger.wipeAll();
    expect(decoded.width).toBe(512);
    // Before stripping, libvips inflated and copied the 80 MiB of text (measured ≈ 4 × 80 MiB).
    expect(grew).toBeLessThan(40 * MiB);
  });
});

describe('stripMetadata: JPEG and WebP', () => {
  it('JPEG: drops COM, Exif and XMP; keeps JFIF and ICC; pixels unchanged; orientation still applied', async () => {
    const base = await sharp(readSample(1)).resize(300).withIccProfile('p3').jpeg().toBuffer();
    const xmp = Buffer.concat([Buffer.from([0xff, 0xe1, 0, 0]), Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>', 'latin1')]);
    xmp.writeUInt16BE(xmp.length - 2, 2);
    const withXmp = Buffer.concat([base.subarray(0, 2), xmp, base.subarray(2)]);
    const noisy = withJpegComment(jpegWithExif(withXmp, exifBlock('II', 6)), 'a comment the service must not keep');
    const stripped = stripMetadata(noisy, 'jpeg');
    expect(stripped.copied).toBe(true);
    const text = Buffer.from(stripped.bytes).toString('latin1');
    expect(text).not.toContain('Exif\0\0');
    expect(text).not.toContain('xmpmeta');
    expect(text).not.toContain('a comment');
    expect(text).toContain('ICC_PROFILE');
    expect(await rawOf(stripped.bytes)).toEqual(await rawOf(noisy));
    // The orientation comes from the original's header: still turned upright.
    const decoded = await decodeToMaxSide(noisy, 1000, limits, new WipeLedger());
    expect([decoded.width, decoded.height]).toEqual([200, 300]);
  });

  it('WebP: drops EXIF and XMP chunks, fixes the RIFF size and the VP8X flags', async () => {
    const webp = await sharp(readSample(4)).resize(120).withExif({ IFD0: { Copyright: 'someone' } }).webp().toBuffer();
    const stripped = stripMetadata(webp, 'webp');
    expect(stripped.copied).toBe(true);
    const b = Buffer.from(stripped.bytes);
    expect(b.toString('latin1')).not.toContain('EXIF');
    expect(b.readUInt32LE(4)).toBe(b.length - 8);
    expect(b[20]! & 0x0c).toBe(0);
    expect(await rawOf(b)).toEqual(await rawOf(webp));
  });

  it('the stripped copy is registered with the ledger and zeroed with the rest', async () => {
    let wiped: readonly Wipeable[] = [];
    const ledger = new WipeLedger({ onWiped: (buffers) => { wiped = buffers; } });
    const noisy = withJpegComment(readSample(1), 'x'.repeat(1000));
    await decodeToMaxSide(noisy, 256, limits, ledger);
    ledger.wipeAll();
    const strippedLength = stripMetadata(noisy, 'jpeg').bytes.length;
    expect(strippedLength).toBeLessThan(noisy.length - 1000);
    const copy = wiped.find((b) => b.byteLength === strippedLength);
    expect(copy).toBeDefined();
    expect(isZeroed(copy!)).toBe(true);
  });
});

describe('animated inputs are refused from the header (415)', () => {
  it('animated WebP with a 7000×7000 canvas, and APNG', async () => {
    const webp = await animatedWebp(7000);
    expect(webp.length).toBeLessThan(2048);
    expect(await codeOf(Promise.resolve().then(() => inspect(webp, limits)))).toBe('415 unsupported_media_type');
    expect(await codeOf(decodeToMaxSide(webp, 512, limits, new WipeLedger()))).toBe('415 unsupported_media_type');
    const png = await apng();
    expect(await codeOf(decodeToMaxSide(png, 512, limits, new WipeLedger()))).toBe('415 unsupported_media_type');
    expect(() => inspect(png, limits)).toThrow(/Animated images are not accepted/);
    // Controls: the same still images are accepted.
    expect(inspect(await sharp(readSample(1)).resize(64).webp().toBuffer(), limits).format).toBe('webp');
    expect(inspect(await sharp(readSample(1)).resize(64).png().toBuffer(), limits).format).toBe('png');
  });
});
