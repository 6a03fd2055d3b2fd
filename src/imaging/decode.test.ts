import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { pngBomb, truncated } from '../../test/corpus.js';
import { exifBlock, jpegDeclaring, jpegWithBrokenTables, jpegWithExif, meanAbsDiff, ORIENTATIONS, oriented, uprightRaw } from '../../test/input-corpus.js';
import { readSample } from '../../test/samples.js';
import { isZeroed, WipeLedger, type Wipeable } from '../privacy/wipe-ledger.js';
import { checkDecodedSize, decode, decodeToMaxSide, inspect } from './decode.js';

const limits = { maxInputPixels: 50_000_000 };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('decodeToMaxSide', () => {
  it('shrinks on load to maxSide on the long edge, landscape and portrait, never enlarges', async () => {
    const landscape = await decodeToMaxSide(readSample(1), 640, limits, new WipeLedger());
    expect([landscape.width, landscape.height, landscape.channels]).toEqual([640, 427, 3]);
    expect(landscape.data.length).toBe(640 * 427 * 3);

    const portraitJpeg = await sharp(readSample(6)).rotate(90).jpeg().toBuffer();
    const portrait = await decodeToMaxSide(portraitJpeg, 500, limits, new WipeLedger());
    expect([portrait.width, portrait.height]).toEqual([Math.round(500 * 1537 / 1920), 500]);

    const small = await sharp(readSample(2)).resize(300, 200, { fit: 'fill' }).jpeg().toBuffer();
    const notEnlarged = await decodeToMaxSide(small, 640, limits, new WipeLedger());
    expect([notEnlarged.width, notEnlarged.height]).toEqual([300, 200]);
  });

  it('the shrunk pixels are the photo: close to sharp\'s own resize of the sample', async () => {
    const decoded = await decodeToMaxSide(readSample(3), 480, limits, new WipeLedger());
    const reference = await uprightRaw(3, 480);
    expect([decoded.width, decoded.height]).toEqual([reference.width, reference.height]);
    expect(meanAbsDiff(decoded.data, reference.data)).toBeLessThan(4);
  });

  it.each(ORIENTATIONS)('EXIF orientation %i comes out upright', async (orientation) => {
    const jpeg = await oriented(1, orientation, 720);
    const decoded = await decodeToMaxSide(jpeg, 480, limits, new WipeLedger());
    const reference = await uprightRaw(1, 480);
    expect([decoded.width, decoded.height]).toEqual([480, 320]);
    // Upright: close to the reference; the same pixels mirrored or turned would be far off.
    expect(meanAbsDiff(decoded.data, reference.data)).toBeLessThan(6);
    const mirrored = await sharp(reference.data, { raw: { width: 480, height: 320, channels: 3 } }).flop().raw().toBuffer();
    expect(meanAbsDiff(decoded.data, mirrored)).toBeGreaterThan(15);
  });

  it('applies the orientation the header reports, also when a JPEG carries two Exif segments', async () => {
    const stored = await sharp(readSample(1)).resize(480).rotate(270).jpeg({ quality: 92 }).toBuffer();
    const twoExif = jpegWithExif(stored, exifBlock('II', 6), exifBlock('II', 1));
    expect(inspect(twoExif, limits)).toMatchObject({ format: 'jpeg', width: 480, height: 320, header: { width: 320, height: 480, orientation: 6 } });
    const decoded = await decodeToMaxSide(twoExif, 480, limits, new WipeLedger());
    expect([decoded.width, decoded.height]).toEqual([480, 320]);
    expect(meanAbsDiff(decoded.data, (await uprightRaw(1, 480)).data)).toBeLessThan(6);
  });

  it('checkDecodedSize: accepts the promised shape (±rounding), refuses a transposed or different one', () => {
    expect(() => checkDecodedSize({ width: 4032, height: 3024 }, { width: 640, height: 480 }, 640)).not.toThrow();
    expect(() => checkDecodedSize({ width: 1920, height: 1367 }, { width: 640, height: 456 }, 640)).not.toThrow();
    expect(() => checkDecodedSize({ width: 300, height: 200 }, { width: 300, height: 200 }, 640)).not.toThrow();
    expect(() => checkDecodedSize({ width: 4032, height: 3024 }, { width: 480, height: 640 }, 640)).toThrow(/does not have the size/);
    expect(() => checkDecodedSize({ width: 300, height: 200 }, { width: 200, height: 300 }, 640)).toThrow(/image_decode_failed/);
    expect(() => checkDecodedSize({ width: 300, height: 200 }, { width: 300, height: 180 }, 640)).toThrow(/image_decode_failed/);
  });

  it('greyscale, greyscale+alpha, CMYK, RGBA, 16-bit and palette inputs come out as 8-bit RGB', async () => {
    const src = () => sharp(readSample(4)).resize(400);
    const inputs = {
      grey: await src().greyscale().jpeg().toBuffer(),
      greyAlpha: await src().greyscale().ensureAlpha(0.5).png().toBuffer(),
      cmyk: await src().toColourspace('cmyk').jpeg().toBuffer(),
      rgba: await src().ensureAlpha(0.3).png().toBuffer(),
      rgb16: await src().toColourspace('rgb16').png().toBuffer(),
      palette: await src().png({ palette: true, colours: 64 }).toBuffer(),
      webpAlpha: await src().ensureAlpha(0.5).webp().toBuffer(),
      avifAlpha: await src().ensureAlpha(0.5).avif().toBuffer(),
    };
    const reference = await uprightRaw(4, 400);
    for (const [name, bytes] of Object.entries(inputs)) {
      const decoded = await decodeToMaxSide(bytes, 640, limits, new WipeLedger());
      expect([name, decoded.width, decoded.height, decoded.channels, decoded.data.length])
        .toEqual([name, 400, reference.height, 3, 400 * reference.height * 3]);
      if (name.startsWith('grey')) {
        for (let i = 0; i < decoded.data.length; i += 3 * 101) {
          expect(decoded.data[i]).toBe(decoded.data[i + 1]);
          expect(decoded.data[i]).toBe(decoded.data[i + 2]);
        }
      } else {
        // Colour survives: the picture is the photo, not a blank or inverted plane.
        expect(meanAbsDiff(decoded.data, reference.data), name).toBeLessThan(name === 'cmyk' ? 20 : 8);
      }
    }
  });

  it('a truncated JPEG is an error (image_decode_failed), never a grey picture', async () => {
    const jpeg = await sharp(readSample(5)).jpeg().toBuffer();
    const progressive = await sharp(readSample(5)).jpeg({ progressive: true }).toBuffer();
    for (const bytes of [truncated(jpeg, 0.5), truncated(jpeg, 0.95), jpeg.subarray(0, jpeg.length - 2), truncated(progressive, 0.6)]) {
      inspect(bytes, limits); // the header is intact…
      expect(await codeOf(decodeToMaxSide(bytes, 640, limits, new WipeLedger()))).toBe('image_decode_failed');
    }
  });

  it('truncated PNG, WebP and AVIF, and a JPEG with broken Huffman tables → image_decode_failed', async () => {
    const src = () => sharp(readSample(2)).resize(400);
    const broken = [
      truncated(await src().png().toBuffer(), 0.5),
      truncated(await src().webp().toBuffer(), 0.5),
      truncated(await src().avif().toBuffer(), 0.5),
      jpegWithBrokenTables(await src().jpeg().toBuffer()),
    ];
    for (const bytes of broken) {
      expect(await codeOf(decodeToMaxSide(bytes, 640, limits, new WipeLedger()))).toBe('image_decode_failed');
    }
  });

  it('a decompression bomb is refused from the header by inspect(), and by libvips\' own limit behind it', async () => {
    const bomb = pngBomb(40_000);
    expect(bomb.length).toBeLessThan(8192);
    let refused: unknown;
    try { inspect(bomb, limits); } catch (error) { refused = error; }
    expect(isAppError(refused) && refused.code).toBe('image_too_large');
    expect(isAppError(refused) && refused.detail).toMatch(/1600000000 pixels; the limit is 50000000/);
    expect(await codeOf(decodeToMaxSide(bomb, 640, limits, new WipeLedger()))).toBe('image_too_large');
    // Second line: even if inspect() were skipped (a header it misread), limitInputPixels refuses before allocating.
    // A header misread as something harmless: only libvips' own check stands between it and the pixels.
    const unchecked = (bytes: Uint8Array, width: number, height: number) => {
      const inspected = { ...inspect(pngBomb(64).subarray(0, 33), limits), width, height, header: { width, height, orientation: 1 } };
      return { bytes, inspected };
    };
    const ledger = new WipeLedger();
    const second = await decode(unchecked(bomb, 40_000, 40_000), 640, limits, ledger).catch((error: unknown) => error);
    expect(isAppError(second) && [second.code, second.detail])
      .toEqual(['image_too_large', 'The image declares more than 50000000 pixels (50 megapixels), the limit: send a smaller photo.']);
    const jpegBomb = jpegDeclaring(await sharp(readSample(1)).resize(64).jpeg().toBuffer(), 60_000, 60_000);
    expect(await codeOf(decodeToMaxSide(jpegBomb, 640, limits, new WipeLedger()))).toBe('image_too_large');
    expect(await codeOf(decode(unchecked(jpegBomb, 60_000, 60_000), 640, limits, new WipeLedger()))).toBe('image_too_large');
  });

  it('a phone-sized image just under the pixel limit passes inspect(); one pixel row over does not', () => {
    const ok = pngBomb(7071).subarray(0, 33); // 7071² = 49,999,041 pixels
    expect(inspect(ok, limits)).toMatchObject({ format: 'png', width: 7071, height: 7071, header: { width: 7071, height: 7071, orientation: 1 } });
    expect(() => inspect(pngBomb(7072).subarray(0, 33), limits)).toThrow(/image_too_large/);
  });

  it('registers its buffers with the ledger: sharp\'s output and the owned pixels, both zeroed by wipeAll()', async () => {
    let wiped: readonly Wipeable[] = [];
    const ledger = new WipeLedger({ onWiped: (buffers) => { wiped = buffers; } });
    const decoded = await decodeToMaxSide(readSample(1), 320, limits, ledger);
    // The pixels own their whole ArrayBuffer, so they can be transferred to a worker.
    expect(decoded.data.byteOffset).toBe(0);
    expect(decoded.data.buffer.byteLength).toBe(decoded.data.length);
    expect(isZeroed(decoded.data)).toBe(false);
    ledger.wipeAll();
    expect(wiped).toContain(decoded.data);
    // sharp's raw output (same size as the pixels) was registered too, and already zeroed after the copy.
    const others = wiped.filter((b) => b !== decoded.data);
    expect(others.some((b) => b.byteLength === decoded.data.length)).toBe(true);
    for (const buffer of wiped) expect(isZeroed(buffer)).toBe(true);
    expect(isZeroed(decoded.data)).toBe(true);
  });
});
