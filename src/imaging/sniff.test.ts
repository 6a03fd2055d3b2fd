import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { notImages } from '../../test/corpus.js';
import { BMP_SAMPLE, HEIC_SAMPLE, refusedFormats } from '../../test/input-corpus.js';
import { readSample } from '../../test/samples.js';
import { sniffFormat } from './sniff.js';

/** The type comes from the bytes alone: sniffFormat has no filename or Content-Type to be fooled by. */
describe('sniffFormat', () => {
  const small = () => sharp(readSample(2)).resize(120);

  it.each([
    ['jpeg', () => small().jpeg().toBuffer()],
    ['jpeg', () => small().jpeg({ progressive: true }).toBuffer()],
    ['png', () => small().png().toBuffer()],
    ['png', () => small().png({ palette: true }).toBuffer()],
    ['webp', () => small().webp().toBuffer()],
    ['webp', () => small().webp({ lossless: true }).toBuffer()],
    ['avif', () => small().avif().toBuffer()],
  ] as const)('accepts real %s files', async (format, make) => {
    expect(sniffFormat(await make())).toEqual({ ok: true, format });
  });

  it('accepts the sample photos as JPEG', () => {
    for (const n of [1, 2, 3, 4, 5, 6]) expect(sniffFormat(readSample(n))).toEqual({ ok: true, format: 'jpeg' });
  });

  it('recognises AVIF by a compatible brand when the major brand is mif1', async () => {
    const avif = Buffer.from(await small().avif().toBuffer());
    // Rewrite the major brand: the 'avif' compatible brand alone must still be recognised.
    avif.write('mif1', 8, 'latin1');
    expect(sniffFormat(avif)).toEqual({ ok: true, format: 'avif' });
  });

  it('refuses a real HEIC photo (HEVC) as heic', () => {
    expect(sniffFormat(HEIC_SAMPLE)).toEqual({ ok: false, detected: 'heic' });
  });

  it('why HEIC is refused: sharp\'s prebuilt libvips has libheif without an HEVC decoder', async () => {
    // If this starts to decode, sharp gained HEVC support and the decision in sniff.ts can be revisited.
    await expect(sharp(HEIC_SAMPLE).raw().toBuffer()).rejects.toThrow(/HEVC/);
    expect(sharp.versions.heif).toBeDefined(); // libheif is there, for AVIF (AV1) only
  });

  it('refuses GIF (both versions) and TIFF (both byte orders)', async () => {
    const { gif, tiff, tiffBigEndian } = await refusedFormats();
    expect(sniffFormat(gif)).toEqual({ ok: false, detected: 'gif' });
    expect(sniffFormat(notImages.gif)).toEqual({ ok: false, detected: 'gif' });
    expect(sniffFormat(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'))).toEqual({ ok: false, detected: 'gif' });
    expect(sniffFormat(tiff)).toEqual({ ok: false, detected: 'tiff' });
    expect(sniffFormat(tiffBigEndian)).toEqual({ ok: false, detected: 'tiff' });
  });

  it.each([
    ['pdf', notImages.pdf, 'pdf'],
    ['bmp', BMP_SAMPLE, 'bmp'],
    ['svg', notImages.svg, 'unknown'],
    ['svg with an XML prolog', Buffer.from(`<?xml version="1.0"?>${notImages.svg.toString()}`), 'unknown'],
    ['html', notImages.html, 'unknown'],
    ['random bytes', notImages.random, 'unknown'],
    ['an empty buffer', Buffer.alloc(0), 'unknown'],
    ['a lone JPEG SOI marker pair', Buffer.from([0xff, 0xd8]), 'unknown'],
    ['PNG signature cut short', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'unknown'],
    ['RIFF that is not WebP (WAV)', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), 'unknown'],
    ['ISO-BMFF video (mp4)', Buffer.from('\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2', 'latin1'), 'iso-bmff'],
  ] as const)('refuses %s', (_name, bytes, detected) => {
    expect(sniffFormat(bytes)).toEqual({ ok: false, detected });
  });

  it('ignores what the bytes are called: a JPEG with PNG-looking text later on is still JPEG', async () => {
    const jpeg = await small().jpeg().toBuffer();
    const disguised = Buffer.concat([jpeg, Buffer.from('\x89PNG\r\n\x1a\n<svg>', 'latin1')]);
    expect(sniffFormat(disguised)).toEqual({ ok: true, format: 'jpeg' });
    // …and an SVG whose text mentions JPEG magic is still not an image.
    expect(sniffFormat(Buffer.from('<svg>\xff\xd8\xff</svg>', 'latin1')).ok).toBe(false);
  });
});
