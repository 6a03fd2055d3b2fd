import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pngBomb } from '../../test/corpus.js';
import { exifBlock, jpegDeclaring, jpegWithExif, ORIENTATIONS, oriented } from '../../test/input-corpus.js';
import { animatedWebp, interlacedPng16 } from '../../scripts/hostile-images.mjs';
import { readSample } from '../../test/samples.js';
import { whole, withClap } from '../../test/avif-clap.js';
import { HeaderError, readHeader, uprightSize } from './header.js';
import { sniffFormat, type ImageFormat } from './sniff.js';

const formatOf = (bytes: Uint8Array): ImageFormat => {
  const sniffed = sniffFormat(bytes);
  if (!sniffed.ok) throw new Error(`not an accepted image: ${sniffed.detected}`);
  return sniffed.format;
};
const headerOf = (bytes: Uint8Array) => readHeader(bytes, formatOf(bytes)).header;
const profileOf = (bytes: Uint8Array) => readHeader(bytes, formatOf(bytes)).profile;

/** What libvips itself decodes, auto-oriented: the header must agree with it. */
async function decodedUprightSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  const { info } = await sharp(bytes).rotate().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height };
}

describe('readHeader: JPEG', () => {
  it('reads the sample photos\' dimensions', () => {
    const heights = { 1: 1280, 2: 1367, 3: 1350, 4: 1448, 5: 1398, 6: 1537 };
    for (const [n, height] of Object.entries(heights)) {
      expect(headerOf(readSample(Number(n)))).toEqual({ width: 1920, height, orientation: 1 });
    }
  });

  it.each(ORIENTATIONS)('reads EXIF orientation %i and the upright size libvips produces', async (orientation) => {
    const jpeg = await oriented(1, orientation, 600);
    const header = headerOf(jpeg);
    const turned = orientation >= 5;
    expect(header).toEqual({ width: turned ? 400 : 600, height: turned ? 600 : 400, orientation });
    expect(uprightSize(header)).toEqual({ width: 600, height: 400 });
    expect(await decodedUprightSize(jpeg)).toEqual({ width: 600, height: 400 });
  });

  it('reads little- and big-endian EXIF, ignores an invalid value, and agrees with libvips on every case', async () => {
    const plain = await sharp(readSample(1)).resize(300, 200, { fit: 'fill' }).jpeg().toBuffer();
    const cases = [
      { name: 'II 6', bytes: jpegWithExif(plain, exifBlock('II', 6)), orientation: 6 },
      { name: 'MM 8', bytes: jpegWithExif(plain, exifBlock('MM', 8)), orientation: 8 },
      { name: 'II 9 (invalid)', bytes: jpegWithExif(plain, exifBlock('II', 9)), orientation: 1 },
      // Two Exif segments: libvips uses the first one, so must we (otherwise sizes disagree).
      { name: 'first 6, then 1', bytes: jpegWithExif(plain, exifBlock('II', 6), exifBlock('II', 1)), orientation: 6 },
      { name: 'first 1, then 6', bytes: jpegWithExif(plain, exifBlock('MM', 1), exifBlock('MM', 6)), orientation: 1 },
    ];
    for (const { name, bytes, orientation } of cases) {
      const header = headerOf(bytes);
      expect({ name, ...header }).toEqual({ name, width: 300, height: 200, orientation });
      expect({ name, ...uprightSize(header) }).toEqual({ name, ...await decodedUprightSize(bytes) });
    }
  });

  it('reads progressive JPEGs (SOF2) and odd sizes', async () => {
    const jpeg = await sharp(readSample(4)).resize(333, 217, { fit: 'fill' }).jpeg({ progressive: true }).toBuffer();
    expect(headerOf(jpeg)).toEqual({ width: 333, height: 217, orientation: 1 });
  });
});

describe('readHeader: PNG, WebP, AVIF', () => {
  const base = () => sharp(readSample(5)).resize(500, 300, { fit: 'fill' });

  it('PNG: IHDR size, eXIf orientation', async () => {
    expect(headerOf(await base().png().toBuffer())).toEqual({ width: 500, height: 300, orientation: 1 });
    const rotated = await oriented(1, 6, 500, 'png');
    expect(headerOf(rotated)).toEqual({ width: 333, height: 500, orientation: 6 });
    expect(uprightSize(headerOf(rotated))).toEqual(await decodedUprightSize(rotated));
  });

  it('WebP lossy (VP8)', async () => {
    const webp = await base().webp({ quality: 80 }).toBuffer();
    expect(webp.toString('latin1', 12, 16)).toBe('VP8 ');
    expect(headerOf(webp)).toEqual({ width: 500, height: 300, orientation: 1 });
  });

  it('WebP lossless (VP8L)', async () => {
    const webp = await base().webp({ lossless: true }).toBuffer();
    expect(webp.toString('latin1', 12, 16)).toBe('VP8L');
    expect(headerOf(webp)).toEqual({ width: 500, height: 300, orientation: 1 });
  });

  it('WebP extended (VP8X) with an EXIF orientation, and with alpha', async () => {
    const rotated = await oriented(1, 8, 500, 'webp');
    expect(rotated.toString('latin1', 12, 16)).toBe('VP8X');
    expect(headerOf(rotated)).toEqual({ width: 333, height: 500, orientation: 8 });
    expect(uprightSize(headerOf(rotated))).toEqual(await decodedUprightSize(rotated));
    const alpha = await base().ensureAlpha(0.5).webp().toBuffer();
    expect(alpha.toString('latin1', 12, 16)).toBe('VP8X');
    expect(headerOf(alpha)).toEqual({ width: 500, height: 300, orientation: 1 });
  });

  it('AVIF: ispe size; a stored rotation (irot) swaps it the way libheif does', async () => {
    expect(headerOf(await base().avif().toBuffer())).toEqual({ width: 500, height: 300, orientation: 1 });
    // libvips turns an orientation into irot/imir when it writes HEIF; libheif applies them on load.
    for (const orientation of [3, 6, 8] as const) {
      const avif = await base().withMetadata({ orientation }).avif().toBuffer();
      const expected = orientation === 3 ? { width: 500, height: 300 } : { width: 300, height: 500 };
      expect(uprightSize(headerOf(avif))).toEqual(expected);
      expect(await decodedUprightSize(avif)).toEqual(expected);
    }
  });
});

describe('readHeader: decode profile', () => {
  it('reads channels, depth, subsampling, interlace and animation from the header', async () => {
    const photo = readSample(1);
    expect(profileOf(photo)).toMatchObject({ format: 'jpeg', width: 1920, height: 1280, channels: 3, bitDepth: 8, storedSamplesPerPixel: 2, interlaced: false }); // 4:2:2
    const p444 = await sharp(photo).resize(320).jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toBuffer();
    expect(profileOf(p444)).toMatchObject({ storedSamplesPerPixel: 3, interlaced: true });
    expect(profileOf(await interlacedPng16(300))).toMatchObject({ format: 'png', width: 300, height: 300, channels: 4, bitDepth: 16, interlaced: true });
    const palette = await sharp(photo).resize(64).ensureAlpha(0.5).png({ palette: true }).toBuffer();
    expect(profileOf(palette)).toMatchObject({ channels: 4, bitDepth: 8, interlaced: false });
    expect(profileOf(await sharp(photo).resize(64).webp({ lossless: true }).toBuffer())).toMatchObject({ format: 'webp', lossless: true, width: 64 });
    expect(profileOf(await sharp(photo).resize(64).ensureAlpha(0.5).webp().toBuffer())).toMatchObject({ channels: 4, lossless: false });
    expect(profileOf(await animatedWebp(7000))).toMatchObject({ width: 7000, height: 7000, animated: true });
    expect(profileOf(await sharp(photo).resize(64).avif({ effort: 0 }).toBuffer())).toMatchObject({ format: 'avif', width: 64, bitDepth: 8, channels: 3 });
    // The alpha plane is an auxiliary image (auxC) and 10-bit depth is in pixi: both read from the boxes.
    expect(profileOf(await sharp(photo).resize(64).ensureAlpha(0.5).avif({ effort: 0, bitdepth: 10 }).toBuffer()))
      .toMatchObject({ format: 'avif', width: 64, bitDepth: 10, channels: 4 });
  });
});

describe('readHeader: AVIF clean aperture (clap)', () => {
  it('reports the cropped size libheif decodes, before an irot turns it, for whole and fractional apertures', async () => {
    const plain = await sharp(readSample(1)).resize(400, 300, { fit: 'fill' }).avif({ effort: 0 }).toBuffer();
    const turned = await sharp(readSample(1)).resize(400, 300, { fit: 'fill' }).withMetadata({ orientation: 6 }).avif({ effort: 0 }).toBuffer();
    const cases = [
      { width: whole(200), height: whole(150), horizOff: whole(0), vertOff: whole(0) },
      { width: whole(201), height: whole(151), horizOff: whole(0), vertOff: whole(0) },
      { width: whole(200), height: whole(100), horizOff: whole(50), vertOff: whole(-40) },
      { width: whole(401, 2), height: whole(299, 2), horizOff: whole(7, 3), vertOff: whole(-5, 2) },
      { width: whole(199), height: whole(149), horizOff: whole(-1, 2), vertOff: whole(1, 2) },
    ];
    for (const clap of cases) {
      for (const avif of [plain, turned]) {
        const bytes = withClap(avif, clap);
        expect({ clap, ...uprightSize(headerOf(bytes)) }).toEqual({ clap, ...await decodedUprightSize(bytes) });
      }
    }
    expect(headerOf(withClap(plain, cases[3]!))).toEqual({ width: 201, height: 150, orientation: 1 });
    // The decode cost is that of the whole coded image, before the crop.
    expect(profileOf(withClap(plain, cases[3]!))).toMatchObject({ width: 400, height: 300 });
  });

  it('a zero denominator is a damaged header', async () => {
    const avif = await sharp(readSample(1)).resize(40, 30).avif({ effort: 0 }).toBuffer();
    expect(() => headerOf(withClap(avif, { width: whole(20, 0), height: whole(10), horizOff: whole(0), vertOff: whole(0) }))).toThrow(HeaderError);
  });
});

describe('readHeader: damaged headers', () => {
  it.each([
    ['jpeg', () => sharp(readSample(1)).jpeg().toBuffer(), [4, 20, 100]],
    ['png', () => sharp(readSample(1)).resize(64).png().toBuffer(), [10, 18, 22]],
    ['webp (VP8)', () => sharp(readSample(1)).resize(64).webp().toBuffer(), [14, 20, 27]],
    ['webp (VP8L)', () => sharp(readSample(1)).resize(64).webp({ lossless: true }).toBuffer(), [14, 22]],
    ['webp (VP8X)', () => sharp(readSample(1)).resize(64).ensureAlpha(0.5).webp().toBuffer(), [14, 26]],
    ['avif', () => sharp(readSample(1)).resize(64).avif().toBuffer(), [24, 100, 200]],
  ] as const)('%s cut inside its header → HeaderError', async (_name, make, cuts) => {
    const bytes = await make();
    const format = formatOf(bytes);
    for (const cut of cuts) {
      expect(() => readHeader(bytes.subarray(0, cut), format), `cut at ${cut}`).toThrow(HeaderError);
    }
  });

  it('a JPEG whose segments end before any frame header → HeaderError', async () => {
    const jpeg = await sharp(readSample(1)).jpeg().toBuffer();
    expect(() => readHeader(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'jpeg')).toThrow(HeaderError);
    expect(() => readHeader(Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0x00, 0x00, 0x00])]), 'jpeg')).toThrow(HeaderError);
  });

  it('an image that declares zero pixels → HeaderError', async () => {
    const jpeg = jpegDeclaring(await sharp(readSample(1)).resize(64).jpeg().toBuffer(), 0, 48);
    expect(() => readHeader(jpeg, 'jpeg')).toThrow(/declares no pixels/);
  });

  it('a zero size is reported before damage in the cost fields that follow it', async () => {
    // The size is checked as soon as it is read, so a cut right after it is not "truncated".
    const jpeg = jpegDeclaring(await sharp(readSample(1)).resize(64).jpeg().toBuffer(), 0, 48);
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(() => readHeader(jpeg.subarray(0, sof + 9), 'jpeg')).toThrow(/declares no pixels/);
    expect(() => readHeader(jpeg.subarray(0, sof + 8), 'jpeg')).toThrow(/truncated/);
    const png = pngBomb(40_000).subarray(0, 24);
    png.writeUInt32BE(0, 16);
    expect(() => readHeader(png, 'png')).toThrow(/declares no pixels/);
  });
});

describe('readHeader: huge declared sizes are read from the header alone', () => {
  it('PNG bomb: 40000×40000 from its first 33 bytes (nothing there to decode)', () => {
    const headerOnly = pngBomb(40_000).subarray(0, 33);
    expect(readHeader(headerOnly, 'png').header).toEqual({ width: 40_000, height: 40_000, orientation: 1 });
  });

  it('JPEG declaring 65500×65500 with the scan data cut off', async () => {
    const jpeg = jpegDeclaring(await sharp(readSample(1)).resize(64).jpeg().toBuffer(), 65_500, 65_500);
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    expect(readHeader(jpeg.subarray(0, sos), 'jpeg').header).toEqual({ width: 65_500, height: 65_500, orientation: 1 });
  });

  it('WebP VP8X declaring 16383×16383 (the format\'s maximum) in a 30-byte file', () => {
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.writeUInt32LE(22, 4);
    webp.write('WEBPVP8X', 8, 'latin1');
    webp.writeUInt32LE(10, 16);
    webp.writeUIntLE(16_382, 24, 3);
    webp.writeUIntLE(16_382, 27, 3);
    expect(readHeader(webp, 'webp').header).toEqual({ width: 16_383, height: 16_383, orientation: 1 });
  });
});
